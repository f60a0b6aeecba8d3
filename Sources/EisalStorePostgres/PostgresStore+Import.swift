// Tables written into an empty PostgreSQL database (`eisal migrate --from FILE.sqlite`), each cell
// converted to its column's type, in statements of many rows.

import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore: TableImport {
    public func isEmptyForImport() async throws -> Bool {
        for table in ["taxpayers", "clients", "pos", "submissions", "receipts", "callbacks", "notifications"] {
            if try await rowCount(of: table) > 0 { return false }
        }
        return true
    }

    public func rowCount(of table: String) async throws -> Int {
        Int(try await rows(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \"\(table)\"")).first?.decode(Int64.self) ?? 0)
    }

    /// Each column's type in this database (`boolean`, `bigint`, `text`, `bytea`).
    func columnTypes(of table: String) async throws -> [String: String] {
        var types: [String: String] = [:]
        for row in try await rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)") {
            let (column, type) = try row.decode((String, String).self)
            types[column] = type
        }
        return types
    }

    public func importRows(into table: String, columns: [String], rows: [[TableCell]]) async throws {
        guard !rows.isEmpty else { return }
        let types = try await columnTypes(of: table)
        guard !types.isEmpty else { throw StoreError.corrupt("table \(table) does not exist in the PostgreSQL schema") }
        for column in columns where types[column] == nil { throw StoreError.corrupt("column \(table).\(column) does not exist in the PostgreSQL schema") }
        // At most 30,000 values a statement (the protocol allows 65,535 binds).
        let perStatement = max(1, 30_000 / max(1, columns.count))
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        try await writing { c in
            for start in stride(from: 0, to: rows.count, by: perStatement) {
                let part = rows[start ..< min(start + perStatement, rows.count)]
                var binds = PostgresBindings(capacity: part.count * columns.count)
                var values: [String] = []
                for row in part {
                    guard row.count == columns.count else { throw StoreError.corrupt("a row of \(table) has \(row.count) cells for \(columns.count) columns") }
                    var marks: [String] = []
                    for (cell, column) in zip(row, columns) {
                        try Self.bind(cell, as: types[column] ?? "text", into: &binds, table: table, column: column)
                        marks.append("$\(binds.count)")
                    }
                    values.append("(" + marks.joined(separator: ", ") + ")")
                }
                try await c.rows(PostgresQuery(unsafeSQL: "INSERT INTO \"\(table)\" (\(list)) VALUES \(values.joined(separator: ", "))", binds: binds), self.logger)
            }
        }
    }

    static func bind(_ cell: TableCell, as type: String, into binds: inout PostgresBindings, table: String, column: String) throws {
        switch (cell, type) {
        case (.null, _): binds.appendNull()
        case let (.integer(value), "boolean"): binds.append(value != 0)
        case let (.integer(value), "bigint"), let (.integer(value), "integer"): binds.append(value)
        case let (.real(value), "bigint"): binds.append(Int64(value))
        case let (.text(value), "text"): binds.append(value)
        case let (.integer(value), "text"): binds.append(String(value))
        case let (.blob(value), "bytea"): binds.append(ByteBuffer(bytes: value))
        case let (.text(value), "bytea"): binds.append(ByteBuffer(string: value))
        case let (.blob(value), "text"): binds.append(String(decoding: value, as: UTF8.self))
        default: throw StoreError.corrupt("\(table).\(column): a \(cell) cannot be written to a \(type) column")
        }
    }

    public func finishImport() async throws {
        try await writing { c in
            for table in ["submission_texts", "receipts", "jobs", "notifications"] {
                try await c.rows(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), GREATEST((SELECT MAX(id) FROM \(table)), 1), (SELECT MAX(id) FROM \(table)) IS NOT NULL)
                    """), self.logger)
            }
        }
    }
}
