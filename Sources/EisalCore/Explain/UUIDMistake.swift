// The catalogue of known wrong ways to compute a receipt UUID.
// Sources: ETA SDK /document-serialization-approach/ (steps 1–6), /receiptissuancefaq/ ("How to
// generate receipt UUID?"), and shared/spec/serialization.md (the rule, and the decisions for
// inputs no public example settles). Every entry is a small change to the ONE canonical
// serializer: a `CanonicalStyle` knob, the root that is hashed, or the hex case of the digest.
// docs/why-was-my-receipt-rejected.md is generated from this list (a test keeps them equal).

/// One known wrong way of computing a receipt UUID, as a change to ETA's canonical serialization.
public struct UUIDMistake: Sendable, Hashable, Identifiable {
    /// What the mistake changes.
    public enum Change: Sendable, Hashable {
        /// Numbers written differently (``CanonicalStyle/numbers``).
        case numbers(CanonicalStyle.Numbers)
        /// Property names written differently (``CanonicalStyle/names``).
        case names(CanonicalStyle.Names)
        /// Strings written differently (``CanonicalStyle/strings``).
        case strings(CanonicalStyle.Strings)
        /// Arrays written differently (``CanonicalStyle/arrays``).
        case arrays(CanonicalStyle.Arrays)
        /// Members written in another order (``CanonicalStyle/memberOrder``).
        case memberOrder(CanonicalStyle.MemberOrder)
        /// `header.uuid` treated differently (``CanonicalStyle/headerUUID``).
        case headerUUID(CanonicalStyle.HeaderUUID)
        /// A member of `header` left out (``CanonicalStyle/omittedHeaderMembers``).
        case omittedHeaderMember(String)
        /// Another root hashed (e.g. the whole submission wrapper).
        case root(CanonicalRoot)
        /// The right digest, written in upper-case hex.
        case upperCaseHex
    }

    /// Stable identifier (used in reports, `--json` output and the docs).
    public let id: String
    /// One line: what the client did.
    public let summary: String
    /// One line: how to fix it.
    public let fix: String
    /// The change to ETA's serialization that reproduces the mistake.
    public let change: Change

    /// A catalogue entry; the catalogue itself is ``catalogue``.
    public init(id: String, summary: String, fix: String, change: Change) {
        self.id = id
        self.summary = summary
        self.fix = fix
        self.change = change
    }

    /// Two mistakes can be combined when they change different things.
    public var dimension: String {
        switch change {
        case .numbers: "numbers"
        case .names: "names"
        case .strings: "strings"
        case .arrays: "arrays"
        case .memberOrder: "memberOrder"
        case .headerUUID: "headerUUID"
        case let .omittedHeaderMember(name): "header." + name
        case .root: "root"
        case .upperCaseHex: "hexCase"
        }
    }

    /// Whether the platform still accepts a UUID made this way (only ``upperCaseHex``: UUIDs are
    /// compared case-insensitively, see `ReceiptUUID.matches`).
    public var isAccepted: Bool { change == .upperCaseHex }

    /// Whether the mistake changes the text that is hashed (all but the hex case).
    public var changesText: Bool { change != .upperCaseHex }

    /// `style` with this mistake applied (unchanged for root and hex-case mistakes).
    public func applied(to style: CanonicalStyle) -> CanonicalStyle {
        var s = style
        switch change {
        case let .numbers(v): s.numbers = v
        case let .names(v): s.names = v
        case let .strings(v): s.strings = v
        case let .arrays(v): s.arrays = v
        case let .memberOrder(v): s.memberOrder = v
        case let .headerUUID(v): s.headerUUID = v
        case let .omittedHeaderMember(name): s.omittedHeaderMembers.insert(name)
        case .root, .upperCaseHex: break
        }
        return s
    }

    /// The root hashed under this mistake, given the root hashed without it.
    public func root(from root: CanonicalRoot) -> CanonicalRoot {
        if case let .root(r) = change { return r }
        return root
    }
}

extension UUIDMistake {
    /// Numbers parsed as doubles and printed as JavaScript / .NET do.
    public static let floatNumbersShortest = UUIDMistake(
        id: "floatNumbersShortest",
        summary: "Numbers were parsed as floating point and printed the shortest way, as JavaScript and .NET do (`85.50` → `85.5`, `166.00` → `166`).",
        fix: "Hash every number exactly as written in the JSON you send (keep `85.50`); never round-trip the receipt through `double`, `JSON.parse` or `JSONSerialization`.",
        change: .numbers(.shortestDouble)
    )
    /// Numbers parsed as doubles and printed as Python does.
    public static let floatNumbersPython = UUIDMistake(
        id: "floatNumbersPython",
        summary: "Numbers were parsed by Python's `json.loads` and printed back: decimals as `float` (`85.50` → `85.5`, `166.00` → `166.0`), integers unchanged (`2`).",
        fix: "Hash every number exactly as written in the JSON you send; in Python parse with `json.loads(text, parse_float=decimal.Decimal)` and write `str(value)`, never `float`.",
        change: .numbers(.pythonFloat)
    )
    /// Members sorted by name.
    public static let sortedKeys = UUIDMistake(
        id: "sortedKeys",
        summary: "Property names were sorted (e.g. `sort_keys=True`, a sorted dictionary) instead of kept in the order sent.",
        fix: "Serialize members in exactly the order they appear in the JSON you send.",
        change: .memberOrder(.sorted)
    )
    /// `header.uuid` left out of the hashed text.
    public static let uuidRemoved = UUIDMistake(
        id: "uuidRemoved",
        summary: "`header.uuid` was left out of the hashed text.",
        fix: "Keep `header.uuid` in its place with an empty value: `\"UUID\"\"\"`.",
        change: .headerUUID(.removed)
    )
    /// `header.uuid` hashed with a value in it.
    public static let uuidKeptWithValue = UUIDMistake(
        id: "uuidKeptWithValue",
        summary: "`header.uuid` was hashed with the value it holds in the receipt instead of empty.",
        fix: "Set `header.uuid` to `\"\"` before serializing, hash, then put the result in `header.uuid`.",
        change: .headerUUID(.keptWithValue)
    )
    /// Arrays: name once, elements not prefixed.
    public static let arrayNameOnce = UUIDMistake(
        id: "arrayNameOnce",
        summary: "An array's name was written once, not again before each element.",
        fix: "Write the array's name once, then again before every element: `\"ITEMDATA\"\"ITEMDATA\"…\"ITEMDATA\"…`.",
        change: .arrays(.nameOnce)
    )
    /// Arrays: name only before each element.
    public static let arrayNameBeforeEachElementOnly = UUIDMistake(
        id: "arrayNameBeforeEachElementOnly",
        summary: "An array's name was written before each element but not once in front.",
        fix: "Write the array's name once in front as well: `\"ITEMDATA\"` then `\"ITEMDATA\"` before every element.",
        change: .arrays(.nameBeforeEachElementOnly)
    )
    /// Names not upper-cased.
    public static let namesNotUpperCased = UUIDMistake(
        id: "namesNotUpperCased",
        summary: "Property names were written as in the JSON instead of upper-cased.",
        fix: "Upper-case every property name (culture-invariant): `\"receiptNumber\"` → `\"RECEIPTNUMBER\"`.",
        change: .names(.asWritten)
    )
    /// Quotes and backslashes not escaped.
    public static let rawStrings = UUIDMistake(
        id: "rawStrings",
        summary: "Quotes, backslashes or control characters inside strings were written raw instead of JSON-escaped.",
        fix: "Write strings with minimal JSON escaping: `\\\"`, `\\\\`, `\\n`…; everything else (Arabic included) literally.",
        change: .strings(.raw)
    )
    /// The whole submission hashed.
    public static let submissionWrapperHashed = UUIDMistake(
        id: "submissionWrapperHashed",
        summary: "The whole submission body (`{\"receipts\": [...]}`) was hashed instead of the one receipt.",
        fix: "Hash each element of `receipts[]` on its own.",
        change: .root(.submission)
    )
    /// `header.previousUUID` left out.
    public static let withoutPreviousUUID = UUIDMistake(
        id: "withoutPreviousUUID",
        summary: "`header.previousUUID` was left out of the hashed text (e.g. added after hashing).",
        fix: "Set `header.previousUUID` (`\"\"` on the POS's first receipt) before hashing, and hash it where it is sent.",
        change: .omittedHeaderMember("previousUUID")
    )
    /// `header.referenceUUID` left out.
    public static let withoutReferenceUUID = UUIDMistake(
        id: "withoutReferenceUUID",
        summary: "`header.referenceUUID` of a return was left out of the hashed text (e.g. added after hashing).",
        fix: "Set `header.referenceUUID` before hashing, and hash it where it is sent.",
        change: .omittedHeaderMember("referenceUUID")
    )
    /// Upper-case hex: accepted.
    public static let upperCaseHex = UUIDMistake(
        id: "upperCaseHex",
        summary: "The right digest, written in upper-case hex. Accepted: the platform compares UUIDs case-insensitively and returns the lower-case form.",
        fix: "Nothing required; prefer lower-case hex, which is what the platform returns.",
        change: .upperCaseHex
    )

    /// Every known mistake, in the order the explainer reports them.
    /// An invoice document hashed with its `signatures` member (the digest must leave it out:
    /// the signature is made over the digest). On a document, the receipt root is every member.
    public static let signaturesHashed = UUIDMistake(
        id: "signaturesHashed",
        summary: "The document was hashed with its `signatures` member; the digest (and the signature over it) covers the document without it.",
        fix: "Serialize the document without `signatures`, hash that, sign the hash, then add `signatures`.",
        change: .root(.receipt)
    )

    /// The mistakes tried on invoice document digests: every serialization mistake of the
    /// catalogue that is not about a receipt's header or the receipts wrapper, and hashing the signatures.
    public static let documentCatalogue: [UUIDMistake] = catalogue.filter {
        switch $0.change {
        case .headerUUID, .omittedHeaderMember, .root: false
        default: true
        }
    } + [signaturesHashed]

    public static let catalogue: [UUIDMistake] = [
        floatNumbersShortest, floatNumbersPython, sortedKeys, uuidRemoved, uuidKeptWithValue,
        arrayNameOnce, arrayNameBeforeEachElementOnly, namesNotUpperCased, rawStrings,
        submissionWrapperHashed, withoutPreviousUUID, withoutReferenceUUID, upperCaseHex,
    ]

    /// The mistake with this id, if any.
    public static func named(_ id: String) -> UUIDMistake? {
        catalogue.first { $0.id == id }
    }

    /// The page docs/why-was-my-receipt-rejected.md (a test keeps the two equal).
    public static var catalogueMarkdown: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var lines = [
            "# Why was my receipt rejected?",
            "",
            "Generated from `EisalCore/Explain/UUIDMistake.swift` by `eisal receipt mistakes`; a test keeps this page",
            "equal to the code.",
            "",
            "The most common rejection is `UUID.Mismatch`: the UUID you sent is not the SHA-256 of the canonical",
            "text of the receipt you sent (see [serialization.md](serialization.md)). Usually the text you hashed",
            "differs from the text you sent. Find out how:",
            "",
            "```sh",
            "eisal receipt explain receipt.json                   # claimed UUID = header.uuid",
            "eisal receipt explain submission.json --json         # one report per receipt",
            "eisal receipt explain receipt.json --claimed \"$UUID\"  # a UUID computed elsewhere",
            "```",
            "",
            "Eisal recomputes the UUID, then tries each mistake below and every pair of mistakes that change",
            "different things. It names the one that reproduces your UUID, the first property where your text",
            "differs from the right one, and the fix. When nothing matches it prints the canonical text it hashed,",
            "so you can diff it against yours.",
            "",
            "| id | what happened | fix |",
            "|---|---|---|",
        ]
        for m in catalogue {
            lines.append("| `\(m.id)` | \(cell(m.summary)) | \(cell(m.fix)) |")
        }
        lines.append("")
        lines.append("Only `upperCaseHex` is accepted; every other row is rejected with `UUID.Mismatch`.")
        return lines.joined(separator: "\n") + "\n"
    }
}
