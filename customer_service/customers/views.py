from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from accounts.selectors import account_of_caller
from common.permissions import IsOwnerOrStaff, is_staff_or_service, visible_or_404
from common.serializers import validated
from customers import selectors, services
from customers.errors import CustomerErrorCode
from customers.models import Address, FullName
from customers.serializers import (
    AddressSerializer,
    CustomerCreateSerializer,
    CustomerListQuerySerializer,
    CustomerSerializer,
    FullNameSerializer,
)


class FullNameListCreateView(generics.ListAPIView):
    """4.3 create a full name, owned by the caller; list your own (staff: all)."""

    serializer_class = FullNameSerializer

    def get_queryset(self):
        return selectors.fullnames_visible_to(self.request.user)

    @extend_schema(request=FullNameSerializer, responses={201: FullNameSerializer})
    def post(self, request):
        fullname = services.fullname_create(
            caller=account_of_caller(request.user), **validated(FullNameSerializer, request.data)
        )
        return Response(FullNameSerializer(fullname).data, status=status.HTTP_201_CREATED)


class FullNameDetailView(generics.RetrieveAPIView):
    permission_classes = [IsOwnerOrStaff]
    owner_field = "account_id"
    serializer_class = FullNameSerializer
    queryset = FullName.objects.all()


class AddressListCreateView(generics.ListAPIView):
    """4.4 create an address, owned by the caller; list your own (staff: all)."""

    serializer_class = AddressSerializer

    def get_queryset(self):
        return selectors.addresses_visible_to(self.request.user)

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer})
    def post(self, request):
        address = services.address_create(
            caller=account_of_caller(request.user), **validated(AddressSerializer, request.data)
        )
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(generics.RetrieveAPIView):
    permission_classes = [IsOwnerOrStaff]
    owner_field = "account_id"
    serializer_class = AddressSerializer
    queryset = Address.objects.all()


class CustomerListCreateView(generics.ListAPIView):
    """4.5 create a customer (and its cart); staff list and search customers."""

    serializer_class = CustomerSerializer

    @extend_schema(parameters=[CustomerListQuerySerializer])
    def get(self, request, *args, **kwargs):
        if not is_staff_or_service(request.user):
            raise PermissionDenied("Only staff may list customers.")
        self.filters = validated(CustomerListQuerySerializer, request.query_params)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = getattr(self, "filters", {})
        return selectors.customer_list(search=filters.get("search", "").strip(), account_id=filters.get("account_id"))

    @extend_schema(
        request=CustomerCreateSerializer,
        responses={
            201: CustomerSerializer,
            409: OpenApiResponse(description=f"{CustomerErrorCode.CUSTOMER_EXISTS}: the account has a customer."),
            503: OpenApiResponse(description="cart_service, which makes the customer's cart, is down."),
            504: OpenApiResponse(description="cart_service, which makes the customer's cart, is too slow."),
        },
    )
    def post(self, request):
        customer = services.customer_create(
            caller=account_of_caller(request.user), **validated(CustomerCreateSerializer, request.data)
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailView(generics.RetrieveAPIView):
    """A customer with its full name and address: its owner or staff."""

    permission_classes = [IsOwnerOrStaff]
    owner_field = "account_id"
    serializer_class = CustomerSerializer
    queryset = selectors.customer_list()


class AccountCustomerView(generics.RetrieveAPIView):
    """The customer of an account: its owner or staff (anyone else: 404, as for none)."""

    permission_classes = [IsOwnerOrStaff]
    serializer_class = CustomerSerializer

    @extend_schema(parameters=[OpenApiParameter("account_id", int, OpenApiParameter.PATH)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        customer = selectors.customer_list().filter(account_id=self.kwargs["account_id"]).first()
        return visible_or_404(customer, user=self.request.user, not_found=NotFound(), owner_field="account_id")
