from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.cache import CATALOG
from catalog.errors import CatalogErrorCode
from catalog.models import Author, Category
from catalog.pagination import BookSearchPagination
from catalog.serializers import (
    AuthorSerializer,
    BookListQuerySerializer,
    BookSearchQuerySerializer,
    BookSerializer,
    CategorySerializer,
    NameQuerySerializer,
)
from common.batch import batch_answer
from common.pagination import PageNumberPagination, paginated
from common.permissions import IsStaffOrReadOnly
from common.serializers import validated, validated_query

STILL_IN_USE = OpenApiResponse(description=f"{CatalogErrorCode.STILL_IN_USE}: books still use it.")
ISBN_TAKEN = OpenApiResponse(description=f"{CatalogErrorCode.ISBN_TAKEN}: another book has this ISBN.")


class AuthorListCreateView(APIView):
    """2.1.1 create an author (staff); 2.1.5 find authors by ?name= (partial, any case or accents)."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[NameQuerySerializer], responses=AuthorSerializer(many=True))
    def get(self, request):
        authors = selectors.author_list(**validated_query(NameQuerySerializer, request))
        return paginated(self, request, authors, AuthorSerializer)

    @extend_schema(
        request=AuthorSerializer,
        responses={
            201: AuthorSerializer,
            409: OpenApiResponse(description=f"{CatalogErrorCode.EMAIL_TAKEN}: another author has this email."),
        },
    )
    def post(self, request):
        author = services.author_create(**validated(AuthorSerializer, request.data))
        return Response(AuthorSerializer(author).data, status=status.HTTP_201_CREATED)


class AuthorDetailView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(responses=AuthorSerializer)
    def get(self, request, pk):
        return Response(AuthorSerializer(get_object_or_404(Author, pk=pk)).data)

    @extend_schema(responses={204: None, 409: STILL_IN_USE})
    def delete(self, request, pk):
        services.author_delete(author=get_object_or_404(Author, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryListCreateView(APIView):
    """2.1.2 create a category (staff); 2.1.6 find categories by ?name=."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[NameQuerySerializer], responses=CategorySerializer(many=True))
    def get(self, request):
        categories = selectors.category_list(**validated_query(NameQuerySerializer, request))
        return paginated(self, request, categories, CategorySerializer)

    @extend_schema(
        request=CategorySerializer,
        responses={
            201: CategorySerializer,
            409: OpenApiResponse(description=f"{CatalogErrorCode.CATEGORY_NAME_TAKEN}: the name is taken."),
        },
    )
    def post(self, request):
        category = services.category_create(**validated(CategorySerializer, request.data))
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(responses=CategorySerializer)
    def get(self, request, pk):
        return Response(CategorySerializer(get_object_or_404(Category, pk=pk)).data)

    @extend_schema(responses={204: None, 409: STILL_IN_USE})
    def delete(self, request, pk):
        services.category_delete(category=get_object_or_404(Category, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookListCreateView(APIView):
    """2.1.3 create a book (staff); list with ?author=&category=&min_price=&max_price=&ordering=;
    batch read with ?ids=1,2,3 (at most 100 ids, one query, only the books that exist)."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[BookListQuerySerializer], responses=BookSerializer(many=True))
    def get(self, request):
        query = validated_query(BookListQuerySerializer, request)
        return Response(CATALOG.answer(request, lambda: self._books(request, query)))

    def _books(self, request, query: dict):
        if "ids" in query:
            books = BookSerializer(selectors.books_by_ids(query["ids"]), many=True).data
            return batch_answer(books, asked=query["ids"])
        return paginated(self, request, selectors.book_list(**query), BookSerializer).data

    @extend_schema(request=BookSerializer, responses={201: BookSerializer, 409: ISBN_TAKEN})
    def post(self, request):
        book = services.book_create(**validated(BookSerializer, request.data))
        return Response(BookSerializer(book).data, status=status.HTTP_201_CREATED)


class BookDetailView(APIView):
    """Read, update (PATCH) and 2.1.4 delete one book."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(responses=BookSerializer)
    def get(self, request, pk):
        return Response(CATALOG.answer(request, lambda: BookSerializer(selectors.book_get(pk)).data))

    @extend_schema(request=BookSerializer, responses={200: BookSerializer, 409: ISBN_TAKEN})
    def patch(self, request, pk):
        book = selectors.book_get(pk)
        serializer = BookSerializer(book, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        book = services.book_update(book=book, **serializer.validated_data)
        return Response(BookSerializer(book).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.book_delete(book=selectors.book_get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookSearchView(APIView):
    """2.1.7 find books: exact id, or part of the title, author or category name."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = BookSearchPagination

    @extend_schema(parameters=[BookSearchQuerySerializer], responses=BookSerializer(many=True))
    def get(self, request):
        term = validated_query(BookSearchQuerySerializer, request)["search_term"]
        return Response(CATALOG.answer(request, lambda: self._found(request, term)))

    def _found(self, request, term: str):
        return paginated(self, request, selectors.BookSearch(term), BookSerializer).data
