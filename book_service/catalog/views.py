from django.conf import settings
from django.views.static import serve
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.cache import CATALOG, book_part
from catalog.errors import CatalogErrorCode
from catalog.models import Author, Book, Category
from catalog.pagination import BookSearchPagination
from catalog.serializers import (
    AuthorSerializer,
    BookCoverSerializer,
    BookListQuerySerializer,
    BookRowSerializer,
    BookSearchQuerySerializer,
    BookSerializer,
    CategorySerializer,
    FoundBookSerializer,
    NameQuerySerializer,
    SuggestionsSerializer,
    SuggestQuerySerializer,
    book_answer,
)
from common.batch import batch_answer
from common.outbox.consumer import EventReceiverView
from common.pagination import PageNumberPagination, paginated
from common.permissions import IsStaff, IsStaffOrReadOnly
from common.revocation import services as revocation
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


def _book_answer(request, book: Book) -> dict:
    return BookSerializer(book, context={"request": request}).data


class BookListCreateView(APIView):
    """2.1.3 create a book (staff); list with ?sort= and filters (author, category, price
    range, published year or years, in_stock), each book saying whether it is in stock;
    batch read with ?ids=1,2,3 (at most 100 ids, one query, only the books that exist:
    the cart's and the orders' read of titles and prices)."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[BookListQuerySerializer], responses=BookSerializer(many=True))
    def get(self, request):
        return CATALOG.response(request, lambda: self._answer(request))

    def _answer(self, request) -> dict:
        # Read on a miss only: a cached answer's URL, the cache's key, was read when it was filed.
        query = validated_query(BookListQuerySerializer, request)
        return self._batch(request, query["ids"]) if "ids" in query else self._page(request, query)

    def _batch(self, request, ids: list[int]) -> dict:
        books = [book_answer(row, request) for row in selectors.books_by_ids(ids)]
        return batch_answer(books, asked=ids)

    def _page(self, request, query: dict) -> dict:
        return paginated(self, request, selectors.book_list(**query), BookRowSerializer).data

    @extend_schema(request=BookSerializer, responses={201: BookSerializer, 409: ISBN_TAKEN})
    def post(self, request):
        book = services.book_create(**validated(BookSerializer, request.data))
        return Response(_book_answer(request, book), status=status.HTTP_201_CREATED)


class BookDetailView(APIView):
    """Read, update (PATCH) and 2.1.4 delete one book."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(responses=BookSerializer)
    def get(self, request, pk):
        return CATALOG.response(request, lambda: book_answer(selectors.book_row(pk), request), part=book_part(pk))

    @extend_schema(request=BookSerializer, responses={200: BookSerializer, 409: ISBN_TAKEN})
    def patch(self, request, pk):
        book = selectors.book_get(pk)
        serializer = BookSerializer(book, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        book = services.book_update(book=book, **serializer.validated_data)
        return Response(_book_answer(request, book))

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.book_delete(book=selectors.book_get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookCoverView(APIView):
    """A book's cover image: upload one (staff, multipart/form-data, field `cover`) or
    remove it; either answers the book, with its cover_url."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": BookCoverSerializer}, responses={200: BookSerializer})
    def put(self, request, pk):
        upload = validated(BookCoverSerializer, request.data)["cover"]
        return Response(_book_answer(request, services.book_cover_set(book=selectors.book_get(pk), upload=upload)))

    @extend_schema(request=None, responses={200: BookSerializer})
    def delete(self, request, pk):
        return Response(_book_answer(request, services.book_cover_set(book=selectors.book_get(pk), upload=None)))


class BookSearchView(APIView):
    """2.1.7 find books: exact id or ISBN, or part of the title, author or category name;
    narrowed by the list's filters, ordered by ?sort= (relevance by default), with the
    facets of every match (per category, author and price band)."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = BookSearchPagination

    @extend_schema(parameters=[BookSearchQuerySerializer], responses=FoundBookSerializer(many=True))
    def get(self, request):
        return CATALOG.response(request, lambda: self._found(request))

    def _found(self, request) -> dict:
        query = validated_query(BookSearchQuerySerializer, request)  # on a miss only, as the list's
        term, sort = query.pop("search_term"), query.pop("sort")
        search = selectors.BookSearch(term, where=selectors.book_filter(**query), sort=sort)
        page = paginated(self, request, search, BookRowSerializer).data
        return {**page, "facets": search.facets()}


class BookSuggestView(APIView):
    """Suggestions as a customer types: titles and authors for a prefix or a misspelling."""

    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(parameters=[SuggestQuerySerializer], responses=SuggestionsSerializer)
    def get(self, request):
        return CATALOG.response(
            request, lambda: selectors.book_suggest(validated_query(SuggestQuerySerializer, request)["q"])
        )


def media_file(request, path: str):
    """A stored cover from MEDIA_ROOT, when covers are on the filesystem (a bucket serves
    its own); Django's static file view, which refuses paths outside MEDIA_ROOT."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): inventory's stock.availability_changed keeps
    each book's in_stock; a deleted or deactivated account's tokens are refused from
    then on. Each event id once."""

    handlers = {
        **revocation.event_handlers(),
        "stock.availability_changed": services.book_availability_set,
    }
