import Foundation

// Encodes `Encodable` models into an ordered `JSONValue`: members in the order the model
// encodes them (declaration order for synthesized conformances), numbers as lexemes.

/// Encodes `Encodable` values into a ``JSONValue``. `nil` optionals are omitted (the SDK never
/// sends `null`).
public struct JSONValueEncoder: Sendable {
    public init() {}

    /// The JSON value of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let box = ValueBox()
        try value.encode(to: ValueEncoder(box: box, codingPath: []))
        return box.json
    }
}

/// A mutable tree under construction.
private final class ValueBox {
    enum Node {
        case object([(String, ValueBox)])
        case array([ValueBox])
        case scalar(JSONValue)
        case empty
    }

    var node: Node = .empty

    var json: JSONValue {
        switch node {
        case let .object(members): .object(members.map { ($0.0, $0.1.json) })
        case let .array(elements): .array(elements.map(\.json))
        case let .scalar(v): v
        case .empty: .object([])
        }
    }

    func objectChild(_ key: String) -> ValueBox {
        var members: [(String, ValueBox)] = []
        if case let .object(existing) = node { members = existing }
        if let found = members.first(where: { $0.0 == key }) { return found.1 }
        let child = ValueBox()
        members.append((key, child))
        node = .object(members)
        return child
    }

    func makeObject() { if case .object = node { return }; node = .object([]) }
    func makeArray() { if case .array = node { return }; node = .array([]) }

    func appendElement() -> ValueBox {
        var elements: [ValueBox] = []
        if case let .array(existing) = node { elements = existing }
        let child = ValueBox()
        elements.append(child)
        node = .array(elements)
        return child
    }
}

private struct ValueEncoder: Encoder {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.makeObject()
        return KeyedEncodingContainer(KeyedBox<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.makeArray()
        return UnkeyedBox(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleBox(box: box, codingPath: codingPath)
    }
}

private func scalar<T: Encodable>(_ value: T, into box: ValueBox, path: [any CodingKey]) throws {
    switch value {
    case let v as JSONNumberLexeme: box.node = .scalar(.number(v.text))
    case let v as String: box.node = .scalar(.string(v))
    case let v as Bool: box.node = .scalar(.bool(v))
    case let v as any BinaryInteger: box.node = .scalar(.number(String(describing: v)))
    case let v as Double: box.node = .scalar(.number(CanonicalText.shortestDouble(String(v))))
    case let v as Float: box.node = .scalar(.number(CanonicalText.shortestDouble(String(v))))
    case let v as Decimal: box.node = .scalar(.number(v.description))
    default: try value.encode(to: ValueEncoder(box: box, codingPath: path))
    }
}

private struct KeyedBox<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ValueBox
    let codingPath: [any CodingKey]

    func encodeNil(forKey key: Key) throws { box.objectChild(key.stringValue).node = .scalar(.null) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try scalar(value, into: box.objectChild(key.stringValue), path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = box.objectChild(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedBox<NestedKey>(box: child, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = box.objectChild(key.stringValue)
        child.makeArray()
        return UnkeyedBox(box: child, codingPath: codingPath + [key])
    }

    func superEncoder() -> any Encoder { ValueEncoder(box: box.objectChild("super"), codingPath: codingPath) }
    func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(box: box.objectChild(key.stringValue), codingPath: codingPath + [key]) }
}

private struct UnkeyedBox: UnkeyedEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var count: Int {
        if case let .array(elements) = box.node { return elements.count }
        return 0
    }

    func encodeNil() throws { box.appendElement().node = .scalar(.null) }
    func encode<T: Encodable>(_ value: T) throws { try scalar(value, into: box.appendElement(), path: codingPath) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = box.appendElement()
        child.makeObject()
        return KeyedEncodingContainer(KeyedBox<NestedKey>(box: child, codingPath: codingPath))
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = box.appendElement()
        child.makeArray()
        return UnkeyedBox(box: child, codingPath: codingPath)
    }

    func superEncoder() -> any Encoder { ValueEncoder(box: box.appendElement(), codingPath: codingPath) }
}

private struct SingleBox: SingleValueEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    func encodeNil() throws { box.node = .scalar(.null) }
    func encode<T: Encodable>(_ value: T) throws { try scalar(value, into: box, path: codingPath) }
}
