// Why a store call failed, in the shape of swift-service-lifecycle's ServiceGroupError and
// postgres-nio's PSQLError: a small set of codes the platform acts on, and the backend's own
// words for the logs. Every backend throws only this (never its driver's errors).

/// A failed store call.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure: what a caller can do about it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case notFound, conflict, unavailable, corrupt
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The thing asked for does not exist.
        public static let notFound = Code(.notFound)
        /// The change conflicts with stored data (a constraint); retrying unchanged will not help.
        public static let conflict = Code(.conflict)
        /// The store cannot serve now (busy, locked, read-only, disk full, connection lost);
        /// nothing was changed, and the same call may succeed a moment later.
        public static let unavailable = Code(.unavailable)
        /// Stored data is damaged or not what this version of Eisal wrote.
        public static let corrupt = Code(.corrupt)

        public var description: String {
            switch base {
            case .notFound: "notFound"
            case .conflict: "conflict"
            case .unavailable: "unavailable"
            case .corrupt: "corrupt"
            }
        }
    }

    /// The kind of failure (the only part compared by `==`).
    public let code: Code
    /// The backend's account of it, for the logs.
    public let message: String
    /// Where the store raised it.
    public let location: String

    private init(_ code: Code, _ message: String, file: String, line: Int) {
        self.code = code
        self.message = message
        location = "\(file):\(line)"
    }

    public static func notFound(_ message: String, file: String = #fileID, line: Int = #line) -> StoreError { .init(.notFound, message, file: file, line: line) }
    public static func conflict(_ message: String, file: String = #fileID, line: Int = #line) -> StoreError { .init(.conflict, message, file: file, line: line) }
    public static func unavailable(_ message: String, file: String = #fileID, line: Int = #line) -> StoreError { .init(.unavailable, message, file: file, line: line) }
    public static func corrupt(_ message: String, file: String = #fileID, line: Int = #line) -> StoreError { .init(.corrupt, message, file: file, line: line) }

    public var description: String { "StoreError.\(code): \(message) (\(location))" }

    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
