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

/// A backend that a whole database can be copied into.
public protocol TableImport: Sendable {
    /// Copies every table of `source` into this database, in ONE transaction: nothing is left
    /// behind if it fails. Refuses (``StoreError/Code/conflict``) when any of those tables here
    /// already holds a row. Checks each table's row count, and moves key sequences past the
    /// copied keys. `progress` hears each table's name and row count as it is done.
    func importAll(from source: some TableExport, progress: @Sendable (String, Int) -> Void) async throws -> [(table: String, rows: Int)]
}
