from django.conf import settings
from django.urls import path

from catalog import views

urlpatterns = [
    path("authors/", views.AuthorListCreateView.as_view(), name="author-list"),
    path("authors/<id:pk>/", views.AuthorDetailView.as_view(), name="author-detail"),
    path("categories/", views.CategoryListCreateView.as_view(), name="category-list"),
    path("categories/<id:pk>/", views.CategoryDetailView.as_view(), name="category-detail"),
    path("books/", views.BookListCreateView.as_view(), name="book-list"),
    path("books/search/", views.BookSearchView.as_view(), name="book-search"),
    path("books/suggest/", views.BookSuggestView.as_view(), name="book-suggest"),
    path("books/<id:pk>/", views.BookDetailView.as_view(), name="book-detail"),
    path("books/<id:pk>/cover/", views.BookCoverView.as_view(), name="book-cover"),
]

if not settings.MEDIA_S3_BUCKET:
    # Covers on the local filesystem are served from here, under /api/books/ (settings.MEDIA_URL),
    # so that the gateway routes them like any book read; whitenoise serves static files only.
    urlpatterns.append(path("books/media/<path:path>", views.media_file, name="media"))
