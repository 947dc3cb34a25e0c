DROP INDEX coupons_deleted_idx;
DROP INDEX coupons_redeem_by_idx;
DROP INDEX coupons_starts_idx;
DROP INDEX coupons_archived_idx;
