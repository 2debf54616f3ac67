from django import forms

from .models import Delivery, Notification
from .services import CONFIGURABLE_KINDS, channels_for


class ChannelPreferencesForm(forms.Form):
    """One checkbox per configurable kind and channel, labelled for a screen reader."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        kinds = dict(Notification.Kind.choices)
        channels = dict(Delivery.Channel.choices)
        for kind in CONFIGURABLE_KINDS:
            current = channels_for(user, kind)
            for channel in Delivery.Channel.values:
                self.fields[f"{kind}__{channel}"] = forms.BooleanField(
                    label=f"{kinds[kind]} · {channels[channel]}",
                    required=False,
                    initial=channel in current,
                )

    def choices(self) -> dict[tuple[str, str], bool]:
        return {tuple(name.split("__")): value for name, value in self.cleaned_data.items()}
