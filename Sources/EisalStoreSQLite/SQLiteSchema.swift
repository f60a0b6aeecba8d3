// The SQLite schema and its migrations, oldest first. A migration never changes once released.

import EisalCore
import EisalStore
import GRDB

extension SQLiteStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE taxpayers (rin TEXT PRIMARY KEY, name TEXT NOT NULL, name_ar TEXT NOT NULL, b2c INTEGER NOT NULL,
                    branches TEXT NOT NULL, activities TEXT NOT NULL);
                CREATE TABLE clients (client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, taxpayer_rin TEXT NOT NULL,
                    represented TEXT NOT NULL, blocked INTEGER NOT NULL);
                CREATE TABLE pos (serial TEXT PRIMARY KEY, taxpayer_rin TEXT NOT NULL, branch TEXT NOT NULL, os_version TEXT NOT NULL,
                    model_framework TEXT NOT NULL, psk TEXT NOT NULL, activated INTEGER NOT NULL);
                CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE submissions (uuid TEXT PRIMARY KEY, taxpayer_rin TEXT NOT NULL, client_id TEXT NOT NULL, pos_serial TEXT,
                    submitter_name TEXT NOT NULL, channel TEXT NOT NULL, received_at INTEGER NOT NULL, payload_hash TEXT NOT NULL,
                    status TEXT NOT NULL, receipt_count INTEGER NOT NULL, invalid_count INTEGER NOT NULL, signatures TEXT);
                CREATE INDEX submissions_duplicates ON submissions (taxpayer_rin, payload_hash, received_at);
                CREATE TABLE receipts (uuid TEXT PRIMARY KEY, submission_uuid TEXT NOT NULL, long_id TEXT NOT NULL, receipt_number TEXT NOT NULL,
                    position INTEGER NOT NULL, seller_rin TEXT NOT NULL, seller_name TEXT NOT NULL, branch_code TEXT NOT NULL, pos_serial TEXT NOT NULL,
                    buyer_type TEXT NOT NULL, buyer_id TEXT NOT NULL, buyer_name TEXT NOT NULL, receipt_type TEXT NOT NULL, type_version TEXT NOT NULL,
                    currency TEXT NOT NULL, total_amount TEXT NOT NULL, exchange_rate TEXT NOT NULL, payment_method TEXT NOT NULL,
                    date_time_issued TEXT NOT NULL, issued_at INTEGER NOT NULL, received_at INTEGER NOT NULL, previous_uuid TEXT NOT NULL,
                    reference_uuid TEXT NOT NULL, status TEXT NOT NULL, errors TEXT NOT NULL, verdicts INTEGER NOT NULL DEFAULT 0, raw BLOB NOT NULL);
                CREATE INDEX receipts_submission ON receipts (submission_uuid, position);
                CREATE INDEX receipts_seller ON receipts (seller_rin, issued_at);
                CREATE INDEX receipts_buyer ON receipts (buyer_id, issued_at);
                CREATE INDEX receipts_pos ON receipts (pos_serial, received_at);
                CREATE INDEX receipts_reference ON receipts (reference_uuid);
                CREATE INDEX receipts_number ON receipts (seller_rin, branch_code, pos_serial, receipt_number);
                CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, submission_uuid TEXT NOT NULL, created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER);
                """)
        }
        migrator.registerMigration("v2-receipt-bodies") { db in
            // Receipt texts move to their own append-only table: verdict updates then rewrite
            // ~400-byte rows instead of pages full of 2 KB texts, and listings stop reading
            // texts they do not show. Receipts get a stable integer key (`VACUUM` may renumber an
            // implicit rowid). A submission's receipts are committed together, so their keys are
            // one range, kept on the submission instead of an index; the two mostly-empty
            // columns get partial indexes; the POS index folds into the receipt-number one.
            try db.execute(sql: """
                CREATE TABLE receipts_v2 (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, submission_uuid TEXT NOT NULL, long_id TEXT NOT NULL,
                    receipt_number TEXT NOT NULL, position INTEGER NOT NULL, seller_rin TEXT NOT NULL, seller_name TEXT NOT NULL, branch_code TEXT NOT NULL,
                    pos_serial TEXT NOT NULL, buyer_type TEXT NOT NULL, buyer_id TEXT NOT NULL, buyer_name TEXT NOT NULL, receipt_type TEXT NOT NULL,
                    type_version TEXT NOT NULL, currency TEXT NOT NULL, total_amount TEXT NOT NULL, exchange_rate TEXT NOT NULL, payment_method TEXT NOT NULL,
                    date_time_issued TEXT NOT NULL, issued_at INTEGER NOT NULL, received_at INTEGER NOT NULL, previous_uuid TEXT NOT NULL,
                    reference_uuid TEXT NOT NULL, status TEXT NOT NULL, errors TEXT NOT NULL, verdicts INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE receipt_bodies (id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
                INSERT INTO receipts_v2 SELECT rowid, \(v1ReceiptColumns) FROM receipts ORDER BY rowid;
                INSERT INTO receipt_bodies SELECT rowid, raw FROM receipts ORDER BY rowid;
                DROP TABLE receipts;
                ALTER TABLE receipts_v2 RENAME TO receipts;
                CREATE INDEX receipts_seller ON receipts (seller_rin, issued_at);
                CREATE INDEX receipts_buyer ON receipts (buyer_id, issued_at) WHERE buyer_id <> '';
                CREATE INDEX receipts_reference ON receipts (reference_uuid) WHERE reference_uuid <> '';
                CREATE INDEX receipts_number ON receipts (seller_rin, pos_serial, branch_code, receipt_number);
                ALTER TABLE submissions ADD COLUMN first_receipt_id INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE submissions ADD COLUMN last_receipt_id INTEGER NOT NULL DEFAULT -1;
                UPDATE submissions SET
                    first_receipt_id = coalesce((SELECT min(id) FROM receipts WHERE submission_uuid = submissions.uuid), 0),
                    last_receipt_id = coalesce((SELECT max(id) FROM receipts WHERE submission_uuid = submissions.uuid), -1);
                """)
        }
        migrator.registerMigration("v3-submission-texts") { db in
            // A submission's text is stored once, as received, instead of one row per receipt
            // text: a 3 KB text filled a 4 KB page of its own, and each was one more insert.
            // Receipts point into it; rows from before keep their text in `receipt_bodies`.
            try db.execute(sql: """
                CREATE TABLE submission_texts (id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
                ALTER TABLE receipts ADD COLUMN text_id INTEGER;
                ALTER TABLE receipts ADD COLUMN text_offset INTEGER;
                ALTER TABLE receipts ADD COLUMN text_length INTEGER;
                """)
        }
        migrator.registerMigration("v4-sequences-leases-pos-logins-families") { db in
            // "Earlier" for the chain, number and reference rules is an explicit per-seller
            // sequence assigned at commit (rows from before keep their id, which was their commit
            // order); jobs have a kind, can be deferred and carry the node that leased them, so a
            // restarted node takes its own leases back at once; the last login of each POS is
            // kept; submissions and documents name their family (all stored so far are receipts).
            try db.execute(sql: """
                ALTER TABLE receipts ADD COLUMN seller_seq INTEGER NOT NULL DEFAULT 0;
                UPDATE receipts SET seller_seq = id;
                CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO sequences SELECT 'seller:' || seller_rin, max(id) FROM receipts GROUP BY seller_rin;
                ALTER TABLE jobs ADD COLUMN not_before INTEGER;
                ALTER TABLE jobs ADD COLUMN lease_node TEXT;
                ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'validation';
                ALTER TABLE receipts ADD COLUMN family TEXT NOT NULL DEFAULT 'receipt';
                ALTER TABLE submissions ADD COLUMN family TEXT NOT NULL DEFAULT 'receipt';
                CREATE TABLE pos_logins (serial TEXT PRIMARY KEY, client_id TEXT NOT NULL, at INTEGER NOT NULL, os_version TEXT,
                    model_framework TEXT, psk TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v5-notifications") { db in
            // Callbacks, the notification outbox (written with the verdicts that cause it), the
            // deliveries (one deliveryId and the exact body, retried as they are) and every attempt;
            // at most one dispatch job per recipient.
            try db.execute(sql: """
                CREATE TABLE callbacks (taxpayer_rin TEXT PRIMARY KEY, base_url TEXT NOT NULL, api_key BLOB NOT NULL, language TEXT NOT NULL,
                    registered_at INTEGER NOT NULL);
                CREATE TABLE notifications (id INTEGER PRIMARY KEY, recipient_rin TEXT NOT NULL, path TEXT NOT NULL, type TEXT NOT NULL,
                    document_uuid TEXT NOT NULL, message BLOB NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL, delivery_id TEXT);
                CREATE INDEX notifications_state ON notifications (recipient_rin, state, id);
                CREATE INDEX notifications_time ON notifications (recipient_rin, created_at);
                CREATE INDEX notifications_delivery ON notifications (delivery_id) WHERE delivery_id IS NOT NULL;
                CREATE TABLE deliveries (id TEXT PRIMARY KEY, recipient_rin TEXT NOT NULL, path TEXT NOT NULL, body BLOB NOT NULL, count INTEGER NOT NULL,
                    state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, created_at INTEGER NOT NULL, delivered_at INTEGER);
                CREATE INDEX deliveries_recipient ON deliveries (recipient_rin, state, created_at);
                CREATE TABLE delivery_attempts (delivery_id TEXT NOT NULL, at INTEGER NOT NULL, status_code INTEGER, latency_ms INTEGER NOT NULL, error TEXT);
                CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, at);
                CREATE UNIQUE INDEX jobs_dispatch ON jobs (submission_uuid) WHERE kind = 'dispatch';
                """)
        }
        migrator.registerMigration("v6-outbox-written-once") { db in
            // A delivery names its notifications by the range of their ids (per recipient and
            // path) instead of marking each one, and they take its state: the outbox rows are
            // written once. Rows batched by v5 keep their delivery_id and their own state.
            try db.execute(sql: """
                ALTER TABLE deliveries ADD COLUMN first_id INTEGER;
                ALTER TABLE deliveries ADD COLUMN last_id INTEGER;
                CREATE INDEX deliveries_range ON deliveries (recipient_rin, path, last_id);
                DROP INDEX notifications_state;
                CREATE INDEX notifications_pending ON notifications (recipient_rin, path, id) WHERE state = 'pending';
                """)
        }
        migrator.registerMigration("v7-document-lifecycle") { db in
            // Invoice documents' cancel/reject requests and declines; one scheduled job per document.
            try db.execute(sql: """
                CREATE TABLE document_states (uuid TEXT PRIMARY KEY, cancel_requested_at INTEGER, cancel_effective_at INTEGER, cancel_reason TEXT,
                    cancel_declined_at INTEGER, reject_requested_at INTEGER, reject_effective_at INTEGER, reject_reason TEXT, reject_declined_at INTEGER);
                CREATE UNIQUE INDEX jobs_document_state ON jobs (submission_uuid) WHERE kind = 'document-state';
                """)
        }
        migrator.registerMigration("v8-outbox-rows-hold-batches") { db in
            // An outbox row holds the notifications one commit writes for one recipient, path,
            // type and time (EisalStore's NotificationRows.swift); rows written before hold one.
            // The table is rebuilt so that the messages (now tens of KB a row, in overflow pages)
            // come last: the columns the dispatcher and the counts read stay in the row's first page.
            try db.execute(sql: """
                CREATE TABLE notifications_v8 (id INTEGER PRIMARY KEY, recipient_rin TEXT NOT NULL, path TEXT NOT NULL, type TEXT NOT NULL,
                    created_at INTEGER NOT NULL, state TEXT NOT NULL, delivery_id TEXT, count INTEGER NOT NULL, document_uuid TEXT NOT NULL, message BLOB NOT NULL);
                INSERT INTO notifications_v8 (id, recipient_rin, path, type, created_at, state, delivery_id, count, document_uuid, message)
                    SELECT id, recipient_rin, path, type, created_at, state, delivery_id, 1, document_uuid, message FROM notifications ORDER BY id;
                DROP TABLE notifications;
                ALTER TABLE notifications_v8 RENAME TO notifications;
                CREATE INDEX notifications_time ON notifications (recipient_rin, created_at);
                CREATE INDEX notifications_delivery ON notifications (delivery_id) WHERE delivery_id IS NOT NULL;
                CREATE INDEX notifications_pending ON notifications (recipient_rin, path, id) WHERE state = 'pending';
                """)
        }
        return migrator
    }

    /// The names of the migrations, oldest first (PostgreSQL's schema is kept at the same versions).
    public static var migrationNames: [String] { migrator.migrations }

    /// The receipt columns of schema v1, copied by migration v2.
    static let v1ReceiptColumns = """
        uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial, buyer_type, buyer_id, \
        buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method, date_time_issued, issued_at, received_at, \
        previous_uuid, reference_uuid, status, errors, verdicts
        """
}
