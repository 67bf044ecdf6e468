from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import selectors, services
from catalog.errors import CatalogErrorCode
from catalog.folding import fold
from catalog.models import Author, Book, Category
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
from common.permissions import IsStaffOrReadOnly

STILL_IN_USE = OpenApiResponse(description=f"{CatalogErrorCode.STILL_IN_USE}: books still use it.")


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AuthorListCreateView(generics.ListAPIView):
    """2.1.1 create an author (staff); 2.1.5 find authors by ?name= (partial, any case or accents)."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = AuthorSerializer

    def get_queryset(self):
        authors = Author.objects.all()
        if name := _query(NameQuerySerializer, self.request)["name"]:
            authors = authors.filter(name_folded__contains=fold(name))
        return authors

    @extend_schema(
        request=AuthorSerializer,
        responses={
            201: AuthorSerializer,
            409: OpenApiResponse(description=f"{CatalogErrorCode.EMAIL_TAKEN}: another author has this email."),
        },
    )
    def post(self, request):
        serializer = AuthorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        author = services.author_create(**serializer.validated_data)
        return Response(AuthorSerializer(author).data, status=status.HTTP_201_CREATED)


class AuthorDetailView(generics.RetrieveAPIView):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = AuthorSerializer
    queryset = Author.objects.all()

    @extend_schema(responses={204: None, 409: STILL_IN_USE})
    def delete(self, request, pk):
        services.author_delete(author=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryListCreateView(generics.ListAPIView):
    """2.1.2 create a category (staff); 2.1.6 find categories by ?name=."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = CategorySerializer

    def get_queryset(self):
        categories = Category.objects.all()
        if name := _query(NameQuerySerializer, self.request)["name"]:
            categories = categories.filter(name_folded__contains=fold(name))
        return categories

    @extend_schema(
        request=CategorySerializer,
        responses={
            201: CategorySerializer,
            409: OpenApiResponse(description=f"{CatalogErrorCode.CATEGORY_NAME_TAKEN}: the name is taken."),
        },
    )
    def post(self, request):
        serializer = CategorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(**serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(generics.RetrieveAPIView):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = CategorySerializer
    queryset = Category.objects.all()

    @extend_schema(responses={204: None, 409: STILL_IN_USE})
    def delete(self, request, pk):
        services.category_delete(category=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookListCreateView(generics.ListAPIView):
    """2.1.3 create a book (staff); list with ?author=&category=&min_price=&max_price=&ordering=;
    batch read with ?ids=1,2,3 (at most 100 ids, one query, only the books that exist)."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = BookSerializer

    def list(self, request, *args, **kwargs):
        query = _query(BookListQuerySerializer, request)
        if "ids" in query:
            books = BookSerializer(selectors.books_by_ids(query["ids"]), many=True).data
            return Response(batch_answer(books, asked=query["ids"]))
        self.filters = query
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        books = selectors.book_list()
        filters = getattr(self, "filters", {})
        if "author" in filters:
            books = books.filter(author_id=filters["author"])
        if "category" in filters:
            books = books.filter(category_id=filters["category"])
        if "min_price" in filters:
            books = books.filter(price__gte=filters["min_price"])
        if "max_price" in filters:
            books = books.filter(price__lte=filters["max_price"])
        return books.order_by(filters.get("ordering", "id"), "id")

    @extend_schema(request=BookSerializer, responses={201: BookSerializer})
    def post(self, request):
        serializer = BookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        book = services.book_create(**serializer.validated_data)
        return Response(BookSerializer(book).data, status=status.HTTP_201_CREATED)


class BookDetailView(generics.GenericAPIView):
    """Read, update (PATCH) and 2.1.4 delete one book."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = BookSerializer

    def get_book(self, pk: int) -> Book:
        return generics.get_object_or_404(selectors.book_list(), pk=pk)

    def get(self, request, pk):
        return Response(BookSerializer(self.get_book(pk)).data)

    def patch(self, request, pk):
        book = self.get_book(pk)
        serializer = BookSerializer(book, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        book = services.book_update(book=book, **serializer.validated_data)
        return Response(BookSerializer(book).data)

    def delete(self, request, pk):
        services.book_delete(book=self.get_book(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookSearchView(generics.ListAPIView):
    """2.1.7 find books: exact id, or part of the title, author or category name."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = BookSerializer
    pagination_class = BookSearchPagination

    # Not a QuerySet: BookSearchPagination pages it.
    def get_queryset(self) -> selectors.BookSearch:  # type: ignore[override]
        term = _query(BookSearchQuerySerializer, self.request)["search_term"]
        return selectors.BookSearch(term)
