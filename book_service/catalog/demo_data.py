"""The demo catalog `make run` loads: real books, Vietnamese and English."""

AUTHORS = [
    ("Tô Hoài", "tohoai@demo.bookstore", "Hà Nội"),
    ("Nguyễn Nhật Ánh", "nguyennhatanh@demo.bookstore", "TP. Hồ Chí Minh"),
    ("Vũ Trọng Phụng", "vutrongphung@demo.bookstore", "Hà Nội"),
    ("Nam Cao", "namcao@demo.bookstore", "Hà Nam"),
    ("Đoàn Giỏi", "doangioi@demo.bookstore", "Tiền Giang"),
    ("Nguyễn Du", "nguyendu@demo.bookstore", "Hà Tĩnh"),
    ("Jane Austen", "jane.austen@demo.bookstore", "Steventon, England"),
    ("George Orwell", "george.orwell@demo.bookstore", "London, England"),
    ("Harper Lee", "harper.lee@demo.bookstore", "Monroeville, Alabama"),
    ("J. R. R. Tolkien", "tolkien@demo.bookstore", "Oxford, England"),
    ("Yuval Noah Harari", "harari@demo.bookstore", "Jerusalem"),
    ("Donald Knuth", "knuth@demo.bookstore", "Stanford, California"),
]

CATEGORIES = ["Văn học Việt Nam", "Thiếu nhi", "Fiction", "Classics", "History", "Computer Science", "Fantasy"]

# title, author email, category, published, price
BOOKS = [
    ("Dế Mèn phiêu lưu ký", "tohoai@demo.bookstore", "Thiếu nhi", "1941-01-01", "68000.00"),
    ("Vợ chồng A Phủ", "tohoai@demo.bookstore", "Văn học Việt Nam", "1952-01-01", "45000.00"),
    ("Mắt biếc", "nguyennhatanh@demo.bookstore", "Văn học Việt Nam", "1990-01-01", "110000.00"),
    ("Tôi thấy hoa vàng trên cỏ xanh", "nguyennhatanh@demo.bookstore", "Văn học Việt Nam", "2010-12-01", "125000.00"),
    ("Cho tôi xin một vé đi tuổi thơ", "nguyennhatanh@demo.bookstore", "Thiếu nhi", "2008-01-01", "80000.00"),
    ("Cô gái đến từ hôm qua", "nguyennhatanh@demo.bookstore", "Văn học Việt Nam", "1989-01-01", "75000.00"),
    ("Số đỏ", "vutrongphung@demo.bookstore", "Văn học Việt Nam", "1936-10-01", "72000.00"),
    ("Giông tố", "vutrongphung@demo.bookstore", "Văn học Việt Nam", "1936-01-01", "85000.00"),
    ("Chí Phèo", "namcao@demo.bookstore", "Văn học Việt Nam", "1941-01-01", "39000.00"),
    ("Lão Hạc", "namcao@demo.bookstore", "Văn học Việt Nam", "1943-01-01", "35000.00"),
    ("Sống mòn", "namcao@demo.bookstore", "Văn học Việt Nam", "1956-01-01", "62000.00"),
    ("Đất rừng phương Nam", "doangioi@demo.bookstore", "Thiếu nhi", "1957-01-01", "98000.00"),
    ("Truyện Kiều", "nguyendu@demo.bookstore", "Classics", "1820-01-01", "150000.00"),
    ("Pride and Prejudice", "jane.austen@demo.bookstore", "Classics", "1813-01-28", "9.99"),
    ("Emma", "jane.austen@demo.bookstore", "Classics", "1815-12-23", "8.99"),
    ("Sense and Sensibility", "jane.austen@demo.bookstore", "Classics", "1811-10-30", "8.49"),
    ("Nineteen Eighty-Four", "george.orwell@demo.bookstore", "Fiction", "1949-06-08", "12.99"),
    ("Animal Farm", "george.orwell@demo.bookstore", "Fiction", "1945-08-17", "7.99"),
    ("Homage to Catalonia", "george.orwell@demo.bookstore", "History", "1938-04-25", "11.50"),
    ("To Kill a Mockingbird", "harper.lee@demo.bookstore", "Fiction", "1960-07-11", "14.99"),
    ("The Hobbit", "tolkien@demo.bookstore", "Fantasy", "1937-09-21", "10.99"),
    ("The Fellowship of the Ring", "tolkien@demo.bookstore", "Fantasy", "1954-07-29", "15.99"),
    ("The Two Towers", "tolkien@demo.bookstore", "Fantasy", "1954-11-11", "15.99"),
    ("The Return of the King", "tolkien@demo.bookstore", "Fantasy", "1955-10-20", "15.99"),
    ("Sapiens: A Brief History of Humankind", "harari@demo.bookstore", "History", "2011-01-01", "18.99"),
    ("Homo Deus", "harari@demo.bookstore", "History", "2015-01-01", "17.99"),
    ("The Art of Computer Programming, Vol. 1", "knuth@demo.bookstore", "Computer Science", "1968-01-01", "79.99"),
    ("Concrete Mathematics", "knuth@demo.bookstore", "Computer Science", "1989-01-01", "69.99"),
    ("The TeXbook", "knuth@demo.bookstore", "Computer Science", "1984-01-01", "44.99"),
]
