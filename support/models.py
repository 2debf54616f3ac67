from .models_kb import *  # noqa
from .models_tickets import *  # noqa: F403
from .models_chat import *  # noqa: F403
