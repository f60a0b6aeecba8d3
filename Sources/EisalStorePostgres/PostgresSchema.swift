// The PostgreSQL schema and its migrations. The tables and columns are SQLite's (schema v7 as one
// first migration, then each later one under its SQLite name), so a SQLite file moves over table
// by table (`eisal migrate --from`). Integers are BIGINT, flags BOOLEAN, bytes BYTEA, and every text
// column compares byte by byte (COLLATE "C"), as SQLite's do.
//
// Several nodes may start at once: the migrations run in one transaction under an advisory lock,
// so one node applies them and the others find them applied.

import EisalStore
import PostgresNIO

extension PostgresStore {
    /// The names of SQLite's migrations that the first PostgreSQL migration stands for.
    static let sqliteVersions = ["v1", "v2-receipt-bodies", "v3-submission-texts", "v4-sequences-leases-pos-logins-families", "v5-notifications",
                                 "v6-outbox-written-once", "v7-document-lifecycle"]

    /// The key of the advisory lock migrations hold (any fixed number; "eisal" in ASCII).
    static let migrationLock: Int64 = 0x65_69_73_61_6C

    /// Applies the migrations this database lacks; safe when several nodes call it at the same time.
    public func migrate() async throws {
        try await writing { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", self.logger)
            try await connection.rows("CREATE TABLE IF NOT EXISTS eisal_migrations (name TEXT COLLATE \"C\" PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), position BIGSERIAL)", self.logger)
            let applied = Set(try await connection.rows("SELECT name FROM eisal_migrations", self.logger).map { try $0.decode(String.self) })
            if !applied.contains("v7-document-lifecycle") {
                for statement in Self.version7 {
                    try await connection.rows(PostgresQuery(unsafeSQL: statement), self.logger)
                }
                for name in Self.sqliteVersions where !applied.contains(name) {
                    try await connection.rows("INSERT INTO eisal_migrations (name) VALUES (\(name))", self.logger)
                }
            }
            for (name, statements) in Self.laterVersions where !applied.contains(name) {
                for statement in statements {
                    try await connection.rows(PostgresQuery(unsafeSQL: statement), self.logger)
                }
                try await connection.rows("INSERT INTO eisal_migrations (name) VALUES (\(name))", self.logger)
            }
        }
        if keyOrder == .descending {
            // Conformance runs only: new keys count down from -1 on an empty table.
            try await writing { connection in
                let empty = try await connection.rows("SELECT NOT EXISTS (SELECT 1 FROM receipts)", self.logger).first?.decode(Bool.self) ?? false
                if empty {
                    try await connection.rows("ALTER SEQUENCE receipts_id_seq INCREMENT BY -1 MINVALUE -9223372036854775807 MAXVALUE -1 START WITH -1 RESTART WITH -1", self.logger)
                }
            }
        }
    }

    /// The migrations applied, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await rows("SELECT name FROM eisal_migrations ORDER BY position") { try $0.decode(String.self) }
    }

    /// The migrations after v7, oldest first, each named as on SQLite.
    static let laterVersions: [(name: String, statements: [String])] = [
        // An outbox row holds several notifications (EisalStore's NotificationRows.swift): each
        // row's key reserves the ids of as many notifications as a row may hold.
        ("v8-outbox-rows-hold-batches", [
            "ALTER TABLE notifications ADD COLUMN count BIGINT NOT NULL DEFAULT 1",
            "ALTER SEQUENCE notifications_id_seq INCREMENT BY \(NotificationRow.capacity)",
        ]),
    ]

    /// SQLite's schema v7 (its tables, columns and indexes) in PostgreSQL's types.
    static let version7: [String] = {
        let text = "TEXT COLLATE \"C\" NOT NULL"
        let optionalText = "TEXT COLLATE \"C\""
        return [
            "CREATE TABLE taxpayers (rin \(optionalText) PRIMARY KEY, name \(text), name_ar \(text), b2c BOOLEAN NOT NULL, branches \(text), activities \(text))",
            "CREATE TABLE clients (client_id \(optionalText) PRIMARY KEY, secret_hash \(text), taxpayer_rin \(text), represented \(text), blocked BOOLEAN NOT NULL)",
            """
            CREATE TABLE pos (serial \(optionalText) PRIMARY KEY, taxpayer_rin \(text), branch \(text), os_version \(text), model_framework \(text), psk \(text),
                activated BOOLEAN NOT NULL)
            """,
            "CREATE TABLE pos_logins (serial \(optionalText) PRIMARY KEY, client_id \(text), at BIGINT NOT NULL, os_version \(optionalText), model_framework \(optionalText), psk \(text))",
            "CREATE TABLE secrets (name \(optionalText) PRIMARY KEY, value BYTEA NOT NULL)",
            """
            CREATE TABLE submissions (uuid \(optionalText) PRIMARY KEY, taxpayer_rin \(text), client_id \(text), pos_serial \(optionalText),
                submitter_name \(text), channel \(text), received_at BIGINT NOT NULL, payload_hash \(text), status \(text), receipt_count BIGINT NOT NULL,
                invalid_count BIGINT NOT NULL, signatures \(optionalText), first_receipt_id BIGINT NOT NULL DEFAULT 0, last_receipt_id BIGINT NOT NULL DEFAULT -1,
                family \(text) DEFAULT 'receipt')
            """,
            "CREATE INDEX submissions_duplicates ON submissions (taxpayer_rin, payload_hash, received_at)",
            // Texts are read in slices (one receipt of a submission): stored uncompressed, so a
            // slice reads only the chunks that hold it.
            "CREATE TABLE submission_texts (id BIGSERIAL PRIMARY KEY, raw BYTEA NOT NULL)",
            "ALTER TABLE submission_texts ALTER COLUMN raw SET STORAGE EXTERNAL",
            "CREATE TABLE receipt_bodies (id BIGINT PRIMARY KEY, raw BYTEA NOT NULL)",
            """
            CREATE TABLE receipts (id BIGSERIAL PRIMARY KEY, uuid \(text) UNIQUE, submission_uuid \(text), long_id \(text), receipt_number \(text),
                position BIGINT NOT NULL, seller_rin \(text), seller_name \(text), branch_code \(text), pos_serial \(text), buyer_type \(text),
                buyer_id \(text), buyer_name \(text), receipt_type \(text), type_version \(text), currency \(text), total_amount \(text),
                exchange_rate \(text), payment_method \(text), date_time_issued \(text), issued_at BIGINT NOT NULL, received_at BIGINT NOT NULL,
                previous_uuid \(text), reference_uuid \(text), status \(text), errors \(text), verdicts BIGINT NOT NULL DEFAULT 0,
                text_id BIGINT, text_offset BIGINT, text_length BIGINT, seller_seq BIGINT NOT NULL DEFAULT 0, family \(text) DEFAULT 'receipt')
                WITH (fillfactor = 50)
            """,
            // Half of each page is left free: a receipt is written once and updated once (its
            // verdict), and the update then stays on its page without touching an index (HOT).
            // SQLite finds a submission's receipts by its key range; here commits interleave, so by index.
            "CREATE INDEX receipts_submission ON receipts (submission_uuid, position)",
            "CREATE INDEX receipts_seller ON receipts (seller_rin, issued_at)",
            "CREATE INDEX receipts_buyer ON receipts (buyer_id, issued_at) WHERE buyer_id <> ''",
            "CREATE INDEX receipts_reference ON receipts (reference_uuid) WHERE reference_uuid <> ''",
            // The number rule's probe is exact on this index, sequence included: with a separate
            // (seller, POS, sequence) index the planner, before the table's first ANALYZE, scanned
            // every earlier receipt of the POS for each receipt (seconds per submission).
            "CREATE INDEX receipts_number ON receipts (seller_rin, pos_serial, branch_code, receipt_number, seller_seq)",
            "CREATE TABLE sequences (name \(optionalText) PRIMARY KEY, value BIGINT NOT NULL)",
            """
            CREATE TABLE jobs (id BIGSERIAL PRIMARY KEY, submission_uuid \(text), created_at BIGINT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
                lease_owner \(optionalText), lease_until BIGINT, not_before BIGINT, lease_node \(optionalText), kind \(text) DEFAULT 'validation')
            """,
            "CREATE INDEX jobs_claim ON jobs (kind, id)",
            "CREATE UNIQUE INDEX jobs_dispatch ON jobs (submission_uuid) WHERE kind = 'dispatch'",
            "CREATE UNIQUE INDEX jobs_document_state ON jobs (submission_uuid) WHERE kind = 'document-state'",
            "CREATE TABLE callbacks (taxpayer_rin \(optionalText) PRIMARY KEY, base_url \(text), api_key BYTEA NOT NULL, language \(text), registered_at BIGINT NOT NULL)",
            """
            CREATE TABLE notifications (id BIGSERIAL PRIMARY KEY, recipient_rin \(text), path \(text), type \(text), document_uuid \(text),
                message BYTEA NOT NULL, created_at BIGINT NOT NULL, state \(text), delivery_id \(optionalText))
            """,
            "CREATE INDEX notifications_pending ON notifications (recipient_rin, path, id) WHERE state = 'pending'",
            "CREATE INDEX notifications_time ON notifications (recipient_rin, created_at)",
            "CREATE INDEX notifications_delivery ON notifications (delivery_id) WHERE delivery_id IS NOT NULL",
            """
            CREATE TABLE deliveries (id \(optionalText) PRIMARY KEY, recipient_rin \(text), path \(text), body BYTEA NOT NULL, count BIGINT NOT NULL,
                state \(text), attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, created_at BIGINT NOT NULL, delivered_at BIGINT,
                first_id BIGINT, last_id BIGINT)
            """,
            "CREATE INDEX deliveries_recipient ON deliveries (recipient_rin, state, created_at)",
            "CREATE INDEX deliveries_range ON deliveries (recipient_rin, path, last_id)",
            "CREATE TABLE delivery_attempts (delivery_id \(text), at BIGINT NOT NULL, status_code BIGINT, latency_ms BIGINT NOT NULL, error \(optionalText))",
            "CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, at)",
            """
            CREATE TABLE document_states (uuid \(optionalText) PRIMARY KEY, cancel_requested_at BIGINT, cancel_effective_at BIGINT, cancel_reason \(optionalText),
                cancel_declined_at BIGINT, reject_requested_at BIGINT, reject_effective_at BIGINT, reject_reason \(optionalText), reject_declined_at BIGINT)
            """,
        ]
    }()
}
