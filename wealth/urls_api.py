from django.urls import path

from . import api

urlpatterns = [
    path("wealth/products/", api.ProductListApi.as_view(), name="wealth-products"),
    path("wealth/holdings/", api.HoldingListApi.as_view(), name="wealth-holdings"),
    path("wealth/orders/", api.OrderListCreateApi.as_view(), name="wealth-orders"),
    path("wealth/suitability/", api.SuitabilityApi.as_view(), name="wealth-suitability"),
]
