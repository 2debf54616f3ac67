from django.urls import path

from . import api

urlpatterns = [
    path("rewards/", api.RewardListApi.as_view(), name="rewards"),
]
