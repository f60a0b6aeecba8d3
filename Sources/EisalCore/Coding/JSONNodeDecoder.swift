// Decodes `Decodable` models straight from the parsed token tree, so models and the UUID are
// derived from one parse of what was sent. Numbers reach `ETADecimal` as their exact lexeme.

/// Decodes `Decodable` values from a ``JSONNode``.
public struct JSONNodeDecoder: Sendable {
    public init() {}

    /// Decodes a `T` from `node`.
    public func decode<T: Decodable>(_ type: T.Type, from node: JSONNode) throws -> T {
        try T(from: NodeDecoder(node: node, codingPath: []))
    }
}

private struct NodeDecoder: Decoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard node.kind == .object else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object, found \(node.kindDescription)"))
        }
        return KeyedDecodingContainer(KeyedNode<Key>(object: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard node.kind == .array else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array, found \(node.kindDescription)"))
        }
        return UnkeyedNode(elements: node.elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNode(node: node, codingPath: codingPath)
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String { "[\(intValue!)]" }
    var intValue: Int?
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// Looks members up in place (objects of ETA documents are small), building no dictionary.
private struct KeyedNode<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONNode
    let codingPath: [any CodingKey]
    var allKeys: [Key] { object.members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    func node(_ key: Key) throws -> JSONNode {
        guard let n = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing \(key.stringValue)"))
        }
        return n
    }

    func decodeNil(forKey key: Key) throws -> Bool { object[key.stringValue]?.isNull ?? true }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try SingleNode(node: node(key), codingPath: codingPath + [key]).decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let n = object[key.stringValue], !n.isNull else { return nil }
        return try SingleNode(node: n, codingPath: codingPath + [key]).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeDecoder(node: node(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(node: node(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "super decoders are not supported")) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try NodeDecoder(node: node(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedNode: UnkeyedDecodingContainer {
    let elements: [JSONNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> JSONNode {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "array has no more elements"))
        }
        defer { currentIndex += 1 }
        return elements[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, elements[currentIndex].isNull { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let path = codingPath + [IndexKey(currentIndex)]
        return try SingleNode(node: next(), codingPath: path).decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(currentIndex)]
        return try NodeDecoder(node: next(), codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let path = codingPath + [IndexKey(currentIndex)]
        return try NodeDecoder(node: next(), codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let path = codingPath + [IndexKey(currentIndex)]
        return try NodeDecoder(node: next(), codingPath: path)
    }
}

private struct SingleNode: SingleValueDecodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    func mismatch<T>(_ type: T.Type, _ expected: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(node.kindDescription)"))
    }

    func decodeNil() -> Bool { node.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard let b = node.bool else { throw mismatch(type, "a boolean") }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard let s = node.string else { throw mismatch(type, "a string") }
        return s
    }

    func lexeme<T>(_ type: T.Type) throws -> String {
        guard let l = node.numberLexeme else { throw mismatch(type, "a number") }
        return l
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let v = T(try lexeme(type)) else { throw mismatch(type, "an integer") }
        return v
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard let v = Double(try lexeme(type)) else { throw mismatch(type, "a number") }
        return v
    }

    func decode(_ type: Float.Type) throws -> Float {
        guard let v = Float(try lexeme(type)) else { throw mismatch(type, "a number") }
        return v
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == JSONNumberLexeme.self {
            return JSONNumberLexeme(text: try lexeme(type)) as! T
        }
        if type == String.self { return try decode(String.self) as! T }
        return try T(from: NodeDecoder(node: node, codingPath: codingPath))
    }
}
