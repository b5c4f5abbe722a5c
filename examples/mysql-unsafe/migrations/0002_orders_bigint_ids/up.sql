-- The orders AUTO_INCREMENT is at 1.9 billion and a signed INT stops at 2,147,483,647.
-- Move the key and the column that points at it to BIGINT while there is still room.
ALTER TABLE orders MODIFY id BIGINT NOT NULL AUTO_INCREMENT;
ALTER TABLE invoices MODIFY order_id BIGINT NOT NULL;
