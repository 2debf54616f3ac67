from .models_chat import *  # noqa: F403
from .models_classes import *  # noqa: F403
from .models_feedback import *  # noqa: F403
from .models_kb import *  # noqa
from .models_sla import *  # noqa: F403
from .models_surveys import *  # noqa: F403
from .models_tickets import *  # noqa: F403
