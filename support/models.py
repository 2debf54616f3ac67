from .models_tickets import *  # noqa: F403
