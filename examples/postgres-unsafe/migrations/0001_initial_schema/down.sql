DROP TABLE invoices;
DROP TABLE orders;
DROP TABLE users;
DROP TABLE accounts;
