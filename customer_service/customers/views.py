from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_of_caller
from common.auth import Caller
from common.pagination import PageNumberPagination, paginated
from common.serializers import validated, validated_query
from customers import selectors, services
from customers.errors import CustomerErrorCode
from customers.serializers import (
    AddressSerializer,
    CustomerCreateSerializer,
    CustomerListQuerySerializer,
    CustomerSerializer,
    FullNameSerializer,
)


class FullNameListCreateView(APIView):
    """4.3 create a full name, owned by the caller; list your own (staff: all)."""

    pagination_class = PageNumberPagination

    @extend_schema(responses=FullNameSerializer(many=True))
    def get(self, request):
        return paginated(self, request, selectors.fullnames_visible_to(Caller.of(request.user)), FullNameSerializer)

    @extend_schema(request=FullNameSerializer, responses={201: FullNameSerializer})
    def post(self, request):
        fullname = services.fullname_create(
            caller=account_of_caller(request.user), **validated(FullNameSerializer, request.data)
        )
        return Response(FullNameSerializer(fullname).data, status=status.HTTP_201_CREATED)


class FullNameDetailView(APIView):
    @extend_schema(responses=FullNameSerializer)
    def get(self, request, pk):
        return Response(FullNameSerializer(selectors.fullname_visible(Caller.of(request.user), pk)).data)


class AddressListCreateView(APIView):
    """4.4 create an address, owned by the caller; list your own (staff: all)."""

    pagination_class = PageNumberPagination

    @extend_schema(responses=AddressSerializer(many=True))
    def get(self, request):
        return paginated(self, request, selectors.addresses_visible_to(Caller.of(request.user)), AddressSerializer)

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer})
    def post(self, request):
        address = services.address_create(
            caller=account_of_caller(request.user), **validated(AddressSerializer, request.data)
        )
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    @extend_schema(responses=AddressSerializer)
    def get(self, request, pk):
        return Response(AddressSerializer(selectors.address_visible(Caller.of(request.user), pk)).data)


class CustomerListCreateView(APIView):
    """4.5 create a customer (and its cart); staff list and search customers."""

    pagination_class = PageNumberPagination

    @extend_schema(parameters=[CustomerListQuerySerializer], responses=CustomerSerializer(many=True))
    def get(self, request):
        caller = Caller.of(request.user)
        query = validated_query(CustomerListQuerySerializer, request)
        customers = selectors.customers_listed_for(
            caller, search=query.get("search", "").strip(), account_id=query.get("account_id")
        )
        return paginated(self, request, customers, CustomerSerializer)

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


class CustomerDetailView(APIView):
    """A customer with its full name and address: its owner or staff."""

    @extend_schema(responses=CustomerSerializer)
    def get(self, request, pk):
        return Response(CustomerSerializer(selectors.customer_visible(Caller.of(request.user), pk=pk)).data)


class AccountCustomerView(APIView):
    """The customer of an account: its owner or staff (anyone else: 404, as for none)."""

    @extend_schema(responses=CustomerSerializer)
    def get(self, request, account_id):
        customer = selectors.customer_visible(Caller.of(request.user), account_id=account_id)
        return Response(CustomerSerializer(customer).data)
