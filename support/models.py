from .models_kb import *  # noqa
