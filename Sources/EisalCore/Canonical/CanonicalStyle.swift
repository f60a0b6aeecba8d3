// The knobs of the canonical serializer. `CanonicalStyle.eta` is the rule of ETA's
// "document serialization approach" (SDK /document-serialization-approach/, steps 1–6) as
// settled in shared/spec/serialization.md. The other settings reproduce the mistakes real
// integrations make, so the UUID explainer can say which one a client made; they are defined
// once here and used by the one serializer, never copied.

/// How the canonical serializer writes a document.
public struct CanonicalStyle: Sendable, Hashable {
    /// How numbers are written.
    public enum Numbers: Sendable, Hashable {
        /// The lexeme exactly as received (`10.50` → `"10.50"`). ETA's rule.
        case asWritten
        /// Parsed as a binary double and printed the shortest way, as JavaScript and .NET do
        /// (`10.50` → `"10.5"`, `14.00` → `"14"`).
        case shortestDouble
        /// Parsed as a binary double and printed as Python does (`14.00` → `"14.0"`).
        case pythonFloat
    }

    /// How property names are written.
    public enum Names: Sendable, Hashable {
        /// Culture-invariant upper case (simple case mapping, like .NET `ToUpperInvariant`). ETA's rule.
        case upperCased
        /// As written in the JSON.
        case asWritten
    }

    /// How string values are written.
    public enum Strings: Sendable, Hashable {
        /// Decoded, then minimally JSON-escaped (`\"`, `\\`, control characters). ETA's rule.
        case minimallyEscaped
        /// Decoded and written raw: quotes and backslashes not escaped.
        case raw
    }

    /// How arrays are written.
    public enum Arrays: Sendable, Hashable {
        /// The array's name once, then again before every element. ETA's rule.
        case nameThenNameBeforeEachElement
        /// The array's name once, elements written one after the other.
        case nameOnce
        /// The array's name before each element only (not once in front).
        case nameBeforeEachElementOnly
    }

    /// In which order object members are written.
    public enum MemberOrder: Sendable, Hashable {
        /// As received. ETA's rule.
        case asReceived
        /// Sorted by name (ordinal), at every level.
        case sorted
    }

    /// What happens to `header.uuid` of a receipt.
    public enum HeaderUUID: Sendable, Hashable {
        /// Kept in place with an empty value `""`. ETA's rule for the receipt UUID.
        case blank
        /// Left out.
        case removed
        /// Kept with the value the client filled in.
        case keptWithValue
    }

    public var numbers: Numbers
    public var names: Names
    public var strings: Strings
    public var arrays: Arrays
    public var memberOrder: MemberOrder
    public var headerUUID: HeaderUUID
    /// Members of a receipt's `header` that are left out (e.g. `previousUUID`).
    public var omittedHeaderMembers: Set<String>

    public init(
        numbers: Numbers = .asWritten,
        names: Names = .upperCased,
        strings: Strings = .minimallyEscaped,
        arrays: Arrays = .nameThenNameBeforeEachElement,
        memberOrder: MemberOrder = .asReceived,
        headerUUID: HeaderUUID = .blank,
        omittedHeaderMembers: Set<String> = []
    ) {
        self.numbers = numbers
        self.names = names
        self.strings = strings
        self.arrays = arrays
        self.memberOrder = memberOrder
        self.headerUUID = headerUUID
        self.omittedHeaderMembers = omittedHeaderMembers
    }

    /// ETA's canonical serialization.
    public static let eta = CanonicalStyle()
}
