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
]
