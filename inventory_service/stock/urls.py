from django.urls import path

from stock import views

urlpatterns = [
    path("warehouse/", views.WarehouseView.as_view(), name="warehouse"),
    path("warehouse/items/", views.StockItemListView.as_view(), name="stock-item-list"),
    path("warehouse/items/in-stock/", views.InStockIdsView.as_view(), name="stock-in-stock-ids"),
    path("warehouse/items/<id:product_id>/", views.StockItemDetailView.as_view(), name="stock-item-detail"),
    path("warehouse/capacity/", views.CapacityView.as_view(), name="warehouse-capacity"),
    path("warehouse/reservations/", views.ReservationListView.as_view(), name="reservation-list"),
    path("warehouse/reservations/<str:reference>/", views.ReservationDetailView.as_view(), name="reservation-detail"),
    path(
        "warehouse/reservations/<str:reference>/confirm/",
        views.ReservationConfirmView.as_view(),
        name="reservation-confirm",
    ),
]
