from django.urls import path

from customers import views

urlpatterns = [
    path("fullnames/", views.FullNameListCreateView.as_view(), name="fullname-list"),
    path("fullnames/<id:pk>/", views.FullNameDetailView.as_view(), name="fullname-detail"),
    path("addresses/", views.AddressListCreateView.as_view(), name="address-list"),
    path("addresses/<id:pk>/", views.AddressDetailView.as_view(), name="address-detail"),
    path("customers/", views.CustomerListCreateView.as_view(), name="customer-list"),
    path("customers/<id:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("accounts/<id:account_id>/customer/", views.AccountCustomerView.as_view(), name="account-customer"),
]
