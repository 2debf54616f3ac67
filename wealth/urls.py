from django.urls import path

from . import views

app_name = "wealth"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("questionnaire/", views.questionnaire, name="questionnaire"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/subscribe/", views.subscribe, name="subscribe"),
    path("products/<int:pk>/redeem/", views.redeem, name="redeem"),
]
