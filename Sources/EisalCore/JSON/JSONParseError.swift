// The typed error of `JSONParser`: what went wrong and the byte offset where it was found.
// Hostile input (invalid UTF-8, deep nesting, huge numbers, truncated text) always ends here,
// never in a crash.

/// A JSON text could not be parsed.
///
/// `byteOffset` is the zero-based offset into the UTF-8 input where the problem was detected.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem was found.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case emptyInput
            case unexpectedEnd
            case unexpectedCharacter
            case invalidUTF8
            case controlCharacterInString
            case invalidEscape
            case invalidUnicodeEscape
            case invalidNumber
            case numberTooLong
            case nestingTooDeep
            case duplicateKey
            case trailingCharacters
            case inputTooLarge
        }
        let base: Base
        init(_ base: Base) { self.base = base }

        /// The input had no JSON value at all.
        public static let emptyInput = Code(.emptyInput)
        /// The input ended inside a value (truncated text).
        public static let unexpectedEnd = Code(.unexpectedEnd)
        /// A byte that cannot start or continue the expected token.
        public static let unexpectedCharacter = Code(.unexpectedCharacter)
        /// A string contains bytes that are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A string contains a raw control character (U+0000–U+001F).
        public static let controlCharacterInString = Code(.controlCharacterInString)
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
        public static let invalidEscape = Code(.invalidEscape)
        /// A `\u` escape with bad hex digits or an unpaired surrogate.
        public static let invalidUnicodeEscape = Code(.invalidUnicodeEscape)
        /// A number that does not follow the JSON number grammar.
        public static let invalidNumber = Code(.invalidNumber)
        /// A number lexeme longer than `JSONParser.Limits.maximumNumberLength`.
        public static let numberTooLong = Code(.numberTooLong)
        /// Objects and arrays nested deeper than `JSONParser.Limits.maximumDepth`.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// The same key appears twice in one object.
        public static let duplicateKey = Code(.duplicateKey)
        /// Something other than white space follows the root value.
        public static let trailingCharacters = Code(.trailingCharacters)
        /// The input is 256 MiB or larger (more than the parser addresses).
        public static let inputTooLarge = Code(.inputTooLarge)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Zero-based byte offset of the problem in the input.
    public let byteOffset: Int

    public init(code: Code, byteOffset: Int) {
        self.code = code
        self.byteOffset = byteOffset
    }

    /// A sentence for people, e.g. for the `message` of a `BadStructure` error.
    public var message: String {
        switch code.base {
        case .emptyInput: "The body is empty: a JSON value was expected."
        case .unexpectedEnd: "The JSON text ends unexpectedly at byte \(byteOffset) (truncated?)."
        case .unexpectedCharacter: "Unexpected character at byte \(byteOffset)."
        case .invalidUTF8: "Invalid UTF-8 at byte \(byteOffset)."
        case .controlCharacterInString: "Unescaped control character in a string at byte \(byteOffset)."
        case .invalidEscape: "Invalid escape sequence at byte \(byteOffset)."
        case .invalidUnicodeEscape: "Invalid \\u escape (bad hex digits or unpaired surrogate) at byte \(byteOffset)."
        case .invalidNumber: "Invalid number at byte \(byteOffset)."
        case .numberTooLong: "Number too long at byte \(byteOffset)."
        case .nestingTooDeep: "Objects and arrays are nested too deeply at byte \(byteOffset)."
        case .duplicateKey: "Duplicate property name at byte \(byteOffset)."
        case .trailingCharacters: "Unexpected text after the JSON value at byte \(byteOffset)."
        case .inputTooLarge: "The input is too large (256 MiB or more)."
        }
    }

    public var description: String { "JSONParseError(\(code), byteOffset: \(byteOffset))" }
}
