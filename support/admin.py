from .admin_kb import *  # noqa
