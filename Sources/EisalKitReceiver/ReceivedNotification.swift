// What the callback receiver hands to an ERP's code: one notification of a delivery, read
// leniently (spec/notifications.md): the documented fields when present, `receiptNumber` or
// `internalId` for the issuer's number, the general notifications' `Id`/`Type`, and the message's
// JSON text exactly as received, so fields this SDK does not know yet are never lost.

import Crypto
import EisalCore

/// The callback path a delivery arrived on.
public enum NotificationChannel: String, Sendable, Hashable, Codable, CaseIterable {
    /// `PUT /notifications/receipts`
    case receipts = "notifications/receipts"
    /// `PUT /notifications/documents`
    case documents = "notifications/documents"
    /// `PUT /notifications` (general notifications: POS device events, issues).
    case general = "notifications"
}

/// One notification of a delivery.
public struct ReceivedNotification: Sendable, Hashable, Codable {
    /// The delivery's id (the same on every retry of the delivery).
    public var deliveryId: String
    /// The callback path the delivery arrived on.
    public var channel: NotificationChannel
    /// The delivery's `type` (`receipt`, `document`, …).
    public var deliveryType: String?
    /// The delivery's `count`, as the platform declared it.
    public var declaredCount: Int?
    /// How many messages the delivery carried.
    public var deliverySize: Int
    /// This message's position in the delivery.
    public var index: Int

    /// `receipt-validated`, `document-cancelled`, a general notification's `Type`, ….
    public var type: String?
    /// The receipt's or document's `uuid`.
    public var uuid: String?
    /// The `submissionUUID` of the submission that carried it.
    public var submissionUUID: String?
    /// The receipt's or document's `longId`.
    public var longId: String?
    /// The issuer's number: `receiptNumber` (receipts) or `internalId` (documents).
    public var number: String?
    /// `Valid`, `Invalid`, `Cancelled`, `Rejected`, ….
    public var status: String?
    /// A general notification's `Id` (e.g. a POS serial number).
    public var id: String?
    /// The message's JSON text as received.
    public var json: String

    /// Notification `index` of a delivery, read leniently from `message`; its JSON text is kept as received.
    public init(deliveryId: String, channel: NotificationChannel, deliveryType: String?, declaredCount: Int?, deliverySize: Int, index: Int, message: JSONNode) {
        self.deliveryId = deliveryId
        self.channel = channel
        self.deliveryType = deliveryType
        self.declaredCount = declaredCount
        self.deliverySize = deliverySize
        self.index = index
        func text(_ names: String...) -> String? {
            for name in names {
                if let node = message[name] {
                    if let s = node.string { return s }
                    if let n = node.numberLexeme { return n }
                }
            }
            return nil
        }
        type = text("type", "Type")
        uuid = text("uuid", "UUID")
        submissionUUID = text("submissionUUID", "submissionUuid")
        longId = text("longId", "longID")
        number = text("receiptNumber", "internalId", "internalID")
        status = text("status", "Status")
        id = text("Id", "id")
        json = String(decoding: message.rawBytes, as: UTF8.self)
    }
}

/// A delivery body read leniently.
struct ReceivedDelivery: Sendable {
    var deliveryId: String
    var type: String?
    var declaredCount: Int?
    var messages: [ReceivedNotification]

    /// Why a body cannot be taken.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// `{deliveryId, type, count, message[]}`; `message` may also be a single object. A general
    /// notification without an envelope (`{"Id", "Type", …}` or an array of them) is one delivery
    /// keyed by the digest of its text, since it carries no delivery id.
    init(_ bytes: [UInt8], channel: NotificationChannel) throws(Refusal) {
        let root: JSONNode
        do { root = try JSONParser().parse(bytes).root } catch { throw Refusal(description: "The body is not JSON: \(error.description)") }
        let messages: [JSONNode]
        if root.kind == .object, let id = root["deliveryId"] ?? root["DeliveryId"] {
            guard let text = id.string ?? id.numberLexeme, !text.isEmpty else { throw Refusal(description: "deliveryId must be a non-empty string.") }
            deliveryId = text
            type = root["type"]?.string
            declaredCount = root["count"]?.numberLexeme.flatMap { Int($0) }
            switch root["message"]?.kind ?? root["messages"]?.kind {
            case .array?: messages = (root["message"] ?? root["messages"])!.elements
            case .object?: messages = [(root["message"] ?? root["messages"])!]
            case nil: messages = []
            default: throw Refusal(description: "message must be an array of notification objects.")
            }
        } else if channel == .general, root.kind == .object || root.kind == .array {
            deliveryId = "sha256:" + SHA256.hash(data: bytes).map { String($0, radix: 16).leftPadded(2) }.joined()
            type = nil
            declaredCount = nil
            messages = root.kind == .array ? root.elements : [root]
        } else {
            throw Refusal(description: "The body must be a JSON object {deliveryId, type, count, message[]}.")
        }
        guard messages.allSatisfy({ $0.kind == .object }) else { throw Refusal(description: "Every message must be a JSON object.") }
        let (id, type, declared) = (deliveryId, self.type, declaredCount)
        self.messages = messages.enumerated().map { k, message in
            ReceivedNotification(deliveryId: id, channel: channel, deliveryType: type, declaredCount: declared, deliverySize: messages.count, index: k, message: message)
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
