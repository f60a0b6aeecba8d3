// Moving a whole database from one backend to another (`eisal migrate --from`): the backends share
// their tables and columns (PostgreSQL's schema is SQLite's at the same version), so a database
// moves table by table, row by row, each value converted to the target column's type.

/// A value of a table cell as it moves between backends.
public enum TableCell: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A backend whose tables can be read whole.
public protocol TableExport: Sendable {
    /// The tables that hold the platform's data (not the backend's own bookkeeping), and their columns.
    func exportedTables() async throws -> [(table: String, columns: [String])]
    /// Up to `limit` rows of `table` after the row with key `after` (nil: from the start), in key
    /// order, with the last row's key; the cells in `columns` order.
    func exportRows(of table: String, columns: [String], after: Int64?, limit: Int) async throws -> (rows: [[TableCell]], last: Int64?)
}

/// A backend that tables can be written into.
public protocol TableImport: Sendable {
    /// Whether the database holds no platform data yet (an import goes into an empty database only).
    func isEmptyForImport() async throws -> Bool
    /// Writes `rows` of `table` (cells in `columns` order), converting each cell to its column's type.
    func importRows(into table: String, columns: [String], rows: [[TableCell]]) async throws
    /// After the last rows: key sequences continue after the highest key imported.
    func finishImport() async throws
    /// How many rows `table` holds.
    func rowCount(of table: String) async throws -> Int
}
