// How the outbox stores notifications (schema v8 on both backends): the notifications one commit
// writes for one recipient, path, type and time share ONE row, which holds their documents'
// UUIDs joined by "," and their messages joined by "\n" (compact JSON has no raw newline), and
// `count`. Notification ids stay per notification: a row of `count` notifications whose key is
// `id` holds ids `id ..< id + count`, and the next row's key is past them (SQLite takes the next
// free id; PostgreSQL's sequence steps by ``NotificationRow/capacity``). A delivery still names
// its notifications by an id range, made of whole rows; a row larger than the delivery's maximum
// is split in two first (in the dispatch transaction, off the intake path).
//
// Why: a verdict commit of 100 receipts wrote 100 outbox rows in the writer's transaction, the
// larger part of what a registered callback cost intake (docs/performance.md). Rows written
// before v8 hold one notification each (`count` 1), which is this format's one-notification row.

/// Notifications stored as one outbox row: the same recipient, path, type and creation time.
public struct NotificationRow: Sendable, Hashable {
    /// The most notifications one row holds (PostgreSQL reserves this many ids for each row; a
    /// delivery's maximum is at most this too).
    public static let capacity = 1000

    public var recipientRIN: String
    public var path: NotificationPath
    public var type: String
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    /// How many notifications it holds.
    public private(set) var count: Int
    /// Their documents' UUIDs, joined by ",".
    public private(set) var documents: String
    /// Their messages (JSON text), joined by "\n".
    public private(set) var messages: [UInt8]

    /// A row as stored (`documents` and `messages` joined as described above).
    public init(recipientRIN: String, path: NotificationPath, type: String, createdAt: Int64, count: Int, documents: String, messages: [UInt8]) {
        self.recipientRIN = recipientRIN
        self.path = path
        self.type = type
        self.createdAt = createdAt
        self.count = count
        self.documents = documents
        self.messages = messages
    }

    /// The rows that store `notifications`, in the order of their first notification; each keeps
    /// its notifications' order. A notification whose message holds a raw newline or whose UUID
    /// holds a comma (none the platform builds) gets a row of its own, stored as it is.
    public static func rows(_ notifications: [NotificationRecord], capacity: Int = capacity) -> [NotificationRow] {
        struct Key: Hashable {
            var recipient: String, path: NotificationPath, type: String, createdAt: Int64
        }
        var rows: [NotificationRow] = []
        var open: [Key: Int] = [:]
        for n in notifications {
            let alone = n.message.contains(newline) || n.documentUUID.utf8.contains(comma)
            let key = Key(recipient: n.recipientRIN, path: n.path, type: n.type, createdAt: n.createdAt)
            if !alone, let k = open[key], rows[k].count < capacity {
                rows[k].count += 1
                rows[k].documents += ","
                rows[k].documents += n.documentUUID
                rows[k].messages.append(newline)
                rows[k].messages += n.message
                continue
            }
            if !alone { open[key] = rows.count }
            rows.append(NotificationRow(recipientRIN: n.recipientRIN, path: n.path, type: n.type, createdAt: n.createdAt, count: 1,
                                        documents: n.documentUUID, messages: n.message))
        }
        return rows
    }

    /// The notifications the row holds, with ids from `firstID` on.
    /// - Throws: ``StoreError`` (corrupt) when the stored parts do not number `count`.
    public func notifications(firstID: Int64, state: NotificationRecord.State, deliveryID: String?) throws -> [NotificationRecord] {
        let (uuids, bodies) = try parts()
        return (0 ..< count).map { k in
            NotificationRecord(id: firstID + Int64(k), recipientRIN: recipientRIN, path: path, type: type, documentUUID: uuids[k], message: bodies[k],
                               createdAt: createdAt, state: state, deliveryID: deliveryID)
        }
    }

    /// The row cut after its first `k` notifications (0 < k < count): the two rows that store
    /// the same notifications.
    public func split(after k: Int) throws -> (head: NotificationRow, tail: NotificationRow) {
        precondition(k > 0 && k < count, "a row is split inside it")
        let (uuids, bodies) = try parts()
        func row(_ range: Range<Int>) -> NotificationRow {
            NotificationRow(recipientRIN: recipientRIN, path: path, type: type, createdAt: createdAt, count: range.count,
                            documents: uuids[range].joined(separator: ","), messages: Array(bodies[range].joined(separator: [newline])))
        }
        return (row(0 ..< k), row(k ..< count))
    }

    /// The documents' UUIDs and the messages, one per notification.
    private func parts() throws -> (uuids: [String], messages: [[UInt8]]) {
        guard count > 1 else { return ([documents], [messages]) }
        let uuids = documents.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let bodies = messages.split(separator: newline, omittingEmptySubsequences: false).map(Array.init)
        guard uuids.count == count, bodies.count == count else {
            throw StoreError.corrupt("an outbox row of \(count) notifications holds \(uuids.count) documents and \(bodies.count) messages")
        }
        return (uuids, bodies)
    }
}

private let newline = UInt8(ascii: "\n")
private let comma = UInt8(ascii: ",")

/// What a delivery of at most `maximum` notifications carries, taken from a recipient's pending
/// outbox rows of one path in id order: whole rows while they fit; a first row larger than the
/// maximum is split, the head carried, and the store writes ``split`` (the head keeps the key, the
/// tail takes the ids after the head's, inside the key's reserved ids).
public struct DeliveryBatch: Sendable {
    /// A row cut in two by the batch.
    public struct Split: Sendable {
        public var key: Int64
        public var head: NotificationRow
        public var tail: NotificationRow
    }

    public let maximum: Int
    public let deliveryID: String
    /// The notifications carried, in id order, in state `sending` under ``deliveryID``.
    public private(set) var notifications: [NotificationRecord] = []
    /// The row to write as two, when the first row was larger than the maximum.
    public private(set) var split: Split?

    public init(maximum: Int, deliveryID: String) {
        self.maximum = max(1, maximum)
        self.deliveryID = deliveryID
        notifications.reserveCapacity(self.maximum)
    }

    /// Takes the next pending row (whose key is `key`); false once the batch is complete (stop
    /// reading rows).
    public mutating func take(key: Int64, _ row: NotificationRow) throws -> Bool {
        guard split == nil, notifications.count < maximum else { return false }
        var carried = row
        if notifications.count + row.count > maximum {
            guard notifications.isEmpty else { return false }
            let (head, tail) = try row.split(after: maximum)
            split = Split(key: key, head: head, tail: tail)
            carried = head
        }
        notifications += try carried.notifications(firstID: key, state: .sending, deliveryID: deliveryID)
        return split == nil && notifications.count < maximum
    }
}

/// The outbox rows a page of the taxpayer's notification listing falls in: fed the rows in the
/// listing's order with their counts, it keeps the keys of the rows the page starts in, ends in
/// and spans, so only those are read whole.
public struct NotificationPageWalk: Sendable {
    /// Notifications before the page, and the most on it.
    public let offset: Int, size: Int
    /// The rows to read, in the listing's order.
    public private(set) var keys: [Int64] = []
    /// Notifications in the rows walked past.
    private var before = 0
    /// Notifications of the first kept row that come before the page.
    private var skipped = 0
    /// Notifications on the page so far.
    private var kept = 0

    public init(offset: Int, size: Int) {
        self.offset = max(0, offset)
        self.size = max(0, size)
    }

    /// Takes the next row; false once the page is full (stop walking).
    public mutating func take(key: Int64, count: Int) -> Bool {
        guard kept < size else { return false }
        if keys.isEmpty {
            if before + count <= offset {
                before += count
                return true
            }
            skipped = offset - before
        }
        keys.append(key)
        kept += keys.count == 1 ? count - skipped : count
        return kept < size
    }

    /// The page, out of the kept rows' notifications in the listing's order.
    public func slice<Item>(_ items: [Item]) -> [Item] {
        Array(items.dropFirst(skipped).prefix(size))
    }
}
