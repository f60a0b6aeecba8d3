// The structure rules (required members, types, lengths, patterns, number format) run on the
// token tape: the schema of ReceiptSchema.swift is compiled once into flat tables of plain
// values, and the walk reads tokens and bytes through pointers, so a valid receipt costs no
// allocation and no reference counting. Messages and paths are built only for errors.
// Rules and sources: ValidationRule.swift, ReceiptSchema.swift.

/// ``ReceiptSchema`` as flat tables the walker reads without copying references.
struct CompiledSchema: Sendable {
    /// One member of an object schema.
    struct Field: Sendable {
        /// Where the member name's UTF-8 bytes are in ``CompiledSchema/nameBytes``.
        var nameStart: Int
        var nameLength: Int
        var required: Bool
        /// Index into ``CompiledSchema/kinds``.
        var kind: Int
    }

    enum Kind: Sendable {
        case string(maxLength: Int, pattern: FieldPattern?, allowEmpty: Bool)
        case decimal(maxDecimals: Int?, nonNegative: Bool)
        /// Index into ``CompiledSchema/objects``.
        case object(Int)
        /// Element kind: index into ``CompiledSchema/kinds``.
        case array(element: Int, minCount: Int, maxCount: Int?)
    }

    /// Fields of object `i` are `fields[objects[i]]`.
    var objects: [Range<Int>] = []
    var fields: [Field] = []
    /// Member names, by field index (for messages).
    var names: [String] = []
    var nameBytes: [UInt8] = []
    var kinds: [Kind] = []
    /// The object of the root schema.
    var root = 0

    init(_ schema: ObjectSchema) {
        root = compile(schema)
    }

    mutating func compile(_ schema: ObjectSchema) -> Int {
        // Children first, so a field's kind index is known when the field is written.
        let kindsOfFields = schema.fields.map { compile($0.kind) }
        let start = fields.count
        for (field, kind) in zip(schema.fields, kindsOfFields) {
            fields.append(Field(nameStart: nameBytes.count, nameLength: field.name.utf8.count, required: field.required, kind: kind))
            names.append(field.name)
            nameBytes += Array(field.name.utf8)
        }
        objects.append(start ..< fields.count)
        return objects.count - 1
    }

    mutating func compile(_ kind: FieldKind) -> Int {
        let compiled: Kind = switch kind {
        case let .string(maxLength, pattern, allowEmpty): .string(maxLength: maxLength, pattern: pattern, allowEmpty: allowEmpty)
        case let .decimal(maxDecimals, nonNegative): .decimal(maxDecimals: maxDecimals, nonNegative: nonNegative)
        case let .object(schema): .object(compile(schema))
        case let .array(element, minCount, maxCount): .array(element: compile(element), minCount: minCount, maxCount: maxCount)
        }
        kinds.append(compiled)
        return kinds.count - 1
    }

    static let receipt = CompiledSchema(ReceiptSchema.receipt)

    /// The tables as pointers for the walk, copied into memory that is never freed: call it
    /// once per schema that lives as long as the program (``receiptTables``).
    func permanentTables() -> Tables {
        Tables(objects: UnsafePointer(Self.permanent(objects)), fields: UnsafePointer(Self.permanent(fields)),
               kinds: UnsafePointer(Self.permanent(kinds)), names: UnsafePointer(Self.permanent(nameBytes)))
    }

    struct Tables: @unchecked Sendable {
        let objects: UnsafePointer<Range<Int>>
        let fields: UnsafePointer<Field>
        let kinds: UnsafePointer<Kind>
        let names: UnsafePointer<UInt8>
    }

    static func permanent<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let copy = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        copy.initialize(from: values, count: values.count)
        return copy
    }

    static let receiptTables = receipt.permanentTables()
}

/// Walks one receipt's tape against the compiled schema and collects structure errors.
struct StructureWalker {
    enum Component {
        case field(Int)
        case index(Int)
    }

    let schema: CompiledSchema
    let tables: CompiledSchema.Tables
    let document: JSONDocument
    let tape: UnsafePointer<JSONToken>
    let bytes: UnsafePointer<UInt8>
    var errors: [ETAError] = []
    var stack: [Component] = []

    /// The structure errors of the receipt object `node`, in schema order.
    static func errors(_ node: JSONNode) -> [ETAError] {
        errors(node, schema: .receipt, tables: CompiledSchema.receiptTables)
    }

    /// The structure errors of the object `node` against `schema` (whose permanent `tables` they are).
    static func errors(_ node: JSONNode, schema: CompiledSchema, tables: CompiledSchema.Tables) -> [ETAError] {
        node.document.tape.withUnsafeBufferPointer { tape in
            node.document.bytes.withUnsafeBufferPointer { bytes in
                // An object always has at least its braces, so `bytes` is never empty here.
                var walker = StructureWalker(schema: schema, tables: tables, document: node.document,
                                             tape: tape.baseAddress!, bytes: bytes.baseAddress!)
                walker.stack.reserveCapacity(8)
                walker.checkObject(node.index, schema.root)
                return walker.errors
            }
        }
    }

    var path: String {
        var text = ""
        for component in stack {
            switch component {
            case let .field(f): text += text.isEmpty ? schema.names[f] : "." + schema.names[f]
            case let .index(i): text += "[\(i)]"
            }
        }
        return text
    }

    mutating func add(_ rule: ValidationRule, _ message: (String) -> String) {
        let path = self.path
        errors.append(issue(rule, message(path), path))
    }

    /// Checks the members of the object at `index` against compiled object `object`.
    mutating func checkObject(_ index: Int, _ object: Int) {
        let first = index + 1, end = Int(tape[index].next)
        var hint = first
        for f in tables.objects[object] {
            let field = tables.fields[f]
            stack.append(.field(f))
            if let value = find(field, first: first, end: end, hint: &hint) {
                check(value, kind: field.kind, required: field.required)
            } else if field.required {
                add(.required) { "\($0) is mandatory." }
            }
            stack.removeLast()
        }
    }

    /// Tape index of the value of member `field`, starting the search at `hint` (members are
    /// usually in schema order) and moving `hint` past the match.
    func find(_ field: CompiledSchema.Field, first: Int, end: Int, hint: inout Int) -> Int? {
        let name = UnsafeBufferPointer(start: tables.names + field.nameStart, count: field.nameLength)
        return findMember(tape: tape, first: first, end: end, hint: &hint) { $0.keyEquals(name, in: bytes) }.map { $0 + 1 }
    }


    mutating func check(_ index: Int, kind: Int, required: Bool) {
        let t = tape[index]
        if t.kind == .null {
            add(.type) { "\($0) must not be null\(required ? "" : "; leave the property out instead")." }
            return
        }
        switch tables.kinds[kind] {
        case let .string(maxLength, pattern, allowEmpty):
            guard t.kind == .string else {
                add(.type) { "\($0) must be a string, found \(t.kindDescription)." }
                return
            }
            checkString(t, maxLength: maxLength, pattern: pattern, allowEmpty: allowEmpty, required: required)
        case let .decimal(maxDecimals, nonNegative):
            guard t.kind == .number else {
                add(.type) { "\($0) must be a JSON number, found \(t.kindDescription)." }
                return
            }
            checkNumber(t, maxDecimals: maxDecimals, nonNegative: nonNegative)
        case let .object(object):
            guard t.kind == .object else {
                add(.type) { "\($0) must be an object, found \(t.kindDescription)." }
                return
            }
            checkObject(index, object)
        case let .array(element, minCount, maxCount):
            guard t.kind == .array else {
                add(.type) { "\($0) must be an array, found \(t.kindDescription)." }
                return
            }
            let count = Int(t.count)
            if count < minCount {
                let isItems = stack.count == 1
                add(minCount > 0 && isItems ? .itemCount : .required) { "\($0) must have at least \(minCount) element(s)." }
            }
            if let maxCount, count > maxCount { add(.itemCount) { "\($0) has more than \(maxCount) elements." } }
            var i = index + 1
            for n in 0 ..< count {
                stack.append(.index(n))
                check(i, kind: element, required: true)
                stack.removeLast()
                i = Int(tape[i].next)
            }
        }
    }

    mutating func checkString(_ t: JSONToken, maxLength: Int, pattern: FieldPattern?, allowEmpty: Bool, required: Bool) {
        if t.hasEscapes {
            // Rare: decode, then the same checks on the decoded text.
            checkDecoded(document.decodedString(t), maxLength: maxLength, pattern: pattern, allowEmpty: allowEmpty, required: required)
            return
        }
        let start = bytes + Int(t.start), count = Int(t.end &- t.start)
        if count == 0 {
            if required, !allowEmpty { add(.required) { "\($0) is mandatory and must not be empty." } }
            if !allowEmpty, !required, let pattern { add(.pattern) { "\($0) must not be empty: \(pattern.explanation)." } }
            return
        }
        // Length in UTF-16 code units (as .NET counts): one per scalar, two above U+FFFF.
        var length = 0
        for k in 0 ..< count {
            let b = start[k]
            if b & 0xC0 != 0x80 { length &+= 1 }
            if b >= 0xF0 { length &+= 1 }
        }
        if length > maxLength { add(.maxLength) { "\($0) is \(length) characters long; the maximum is \(maxLength)." } }
        if let pattern, !Self.matches(pattern, UnsafeBufferPointer(start: start, count: count)) {
            let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            add(.pattern) { "\($0) \(pattern.explanation); found '\(text.prefix(80))'." }
        }
    }

    mutating func checkDecoded(_ s: String, maxLength: Int, pattern: FieldPattern?, allowEmpty: Bool, required: Bool) {
        if s.isEmpty {
            if required, !allowEmpty { add(.required) { "\($0) is mandatory and must not be empty." } }
            if !allowEmpty, !required, let pattern { add(.pattern) { "\($0) must not be empty: \(pattern.explanation)." } }
            return
        }
        let length = s.utf16.count
        if length > maxLength { add(.maxLength) { "\($0) is \(length) characters long; the maximum is \(maxLength)." } }
        if let pattern, !pattern.matches(s) { add(.pattern) { "\($0) \(pattern.explanation); found '\(s.prefix(80))'." } }
    }

    static func matches(_ pattern: FieldPattern, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch pattern {
        case .rin: text.count == 9 && text.allSatisfy { $0 >= 48 && $0 <= 57 }
        case .sha256Hex: text.count == 64 && text.allSatisfy { JSONEscapes.hexDigit($0) != nil }
        case .utcDateTime: UTCDateTime(String(decoding: text, as: UTF8.self)) != nil
        }
    }

    mutating func checkNumber(_ t: JSONToken, maxDecimals: Int?, nonNegative: Bool) {
        // The parser has checked the number grammar; look at the lexeme's bytes only.
        let start = bytes + Int(t.start), count = Int(t.end &- t.start)
        var decimals = 0, afterPoint = false, exponent = false, nonZeroDigit = false
        for k in 0 ..< count {
            let b = start[k]
            switch b {
            case UInt8(ascii: "."): afterPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): exponent = true
            case UInt8(ascii: "0") ... UInt8(ascii: "9"):
                if !exponent {
                    if afterPoint { decimals += 1 }
                    if b != UInt8(ascii: "0") { nonZeroDigit = true }
                }
            default: break
            }
        }
        let text = { String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self) }
        if exponent {
            add(.numberFormat) { "\($0) must be written without an exponent; found \(text())." }
            return
        }
        if count > 0, start[0] == UInt8(ascii: "-"), !nonZeroDigit {
            // spec/serialization.md: `-0` is rejected (hashed as sent, a .NET signer would write `0`).
            add(.numberFormat) { "\($0) must not be a negative zero; found \(text())." }
            return
        }
        if let maxDecimals, decimals > maxDecimals {
            add(.numberFormat) { "\($0) has \(decimals) decimals; at most \(maxDecimals) are allowed." }
        }
        if nonNegative, count > 0, start[0] == UInt8(ascii: "-"), nonZeroDigit { add(.nonNegative) { "\($0) must not be negative; found \(text())." } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
