from .models_kb import *  # noqa
from .models_tickets import *  # noqa: F403
