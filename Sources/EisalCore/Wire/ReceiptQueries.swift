// Wire types of the receipt read APIs: Get Receipt Submission (06), Search Receipts (07), Get
// Recent Receipts (08), Get Receipt (04, raw), Get Receipt Details (03) and Get Receipt Details
// Anonymously (05). Fields and their order: spec/receipts-api.md (rows and metadata as R-NEWBEE
// reads them, `errors` as R-AXE reads them, the envelope of 04/05 as the SDK pages list it). The
// platform encodes these; the SDK decodes them.

/// Paging metadata of the receipt listings.
public struct ReceiptPageMetadata: Codable, Sendable, Hashable {
    public var totalPages: Int
    public var totalCount: Int
    public var currentPageNo: Int

    public init(totalPages: Int, totalCount: Int, currentPageNo: Int) {
        self.totalPages = totalPages
        self.totalCount = totalCount
        self.currentPageNo = currentPageNo
    }

    /// The metadata of page `pageNo` of `pageSize` rows out of `totalCount`.
    public init(totalCount: Int, pageNo: Int, pageSize: Int) {
        self.init(totalPages: pageSize > 0 ? (totalCount + pageSize - 1) / pageSize : 0, totalCount: totalCount, currentPageNo: pageNo)
    }
}

/// A receipt as the listings show it.
public struct ReceiptRow: Codable, Sendable, Hashable {
    public var uuid: String
    public var receiptNumber: String
    public var dateTimeIssued: String
    public var dateTimeReceived: String
    /// The receipt type code (`s`, `r`, …).
    public var documentType: String
    public var documentTypeNamePrimaryLang: String
    public var documentTypeNameSecondaryLang: String
    public var currency: String
    public var currencyNamePrimaryLang: String
    public var currencyNameSecondaryLang: String
    public var documentTypeVersion: String
    public var totalAmount: ETADecimal
    public var exchangeRate: ETADecimal
    public var sellerID: String
    public var sellerName: String
    public var buyerId: String
    public var buyerName: String
    public var buyerType: String
    /// `Valid`, `Invalid`, `Cancelled`, or `Submitted` while validation is pending.
    public var status: String
    public var longId: String
    public var deviceSerialNumber: String
    public var submissionUUID: String
    public var hasReturnReceipts: Bool
    /// The validation errors of an invalid receipt (absent otherwise).
    public var errors: [ETAError]?

    public init(uuid: String, receiptNumber: String, dateTimeIssued: String, dateTimeReceived: String, documentType: String, documentTypeNamePrimaryLang: String,
                documentTypeNameSecondaryLang: String, currency: String, currencyNamePrimaryLang: String, currencyNameSecondaryLang: String,
                documentTypeVersion: String, totalAmount: ETADecimal, exchangeRate: ETADecimal, sellerID: String, sellerName: String, buyerId: String,
                buyerName: String, buyerType: String, status: String, longId: String, deviceSerialNumber: String, submissionUUID: String,
                hasReturnReceipts: Bool, errors: [ETAError]?) {
        self.uuid = uuid
        self.receiptNumber = receiptNumber
        self.dateTimeIssued = dateTimeIssued
        self.dateTimeReceived = dateTimeReceived
        self.documentType = documentType
        self.documentTypeNamePrimaryLang = documentTypeNamePrimaryLang
        self.documentTypeNameSecondaryLang = documentTypeNameSecondaryLang
        self.currency = currency
        self.currencyNamePrimaryLang = currencyNamePrimaryLang
        self.currencyNameSecondaryLang = currencyNameSecondaryLang
        self.documentTypeVersion = documentTypeVersion
        self.totalAmount = totalAmount
        self.exchangeRate = exchangeRate
        self.sellerID = sellerID
        self.sellerName = sellerName
        self.buyerId = buyerId
        self.buyerName = buyerName
        self.buyerType = buyerType
        self.status = status
        self.longId = longId
        self.deviceSerialNumber = deviceSerialNumber
        self.submissionUUID = submissionUUID
        self.hasReturnReceipts = hasReturnReceipts
        self.errors = errors
    }
}

/// Get Receipt Submission: `GET /api/v1/receiptsubmissions/{uuid}/details`.
public struct ReceiptSubmissionDetails: Codable, Sendable, Hashable {
    public var submissionUuid: String
    public var sellerId: String
    public var dateTimeReceived: String
    public var submitterName: String
    /// The POS of a POS-channel submission; `null` on the ERP channel.
    public var deviceSerialNumber: String?
    public var submissionChannel: String
    public var receiptsCount: Int
    public var invalidReceiptsCount: Int
    /// `InProgress`, then `Valid` or `Invalid` (`PartiallyValid` when configured so).
    public var status: String
    public var receipts: [ReceiptRow]
    public var metadata: ReceiptPageMetadata

    public init(submissionUuid: String, sellerId: String, dateTimeReceived: String, submitterName: String, deviceSerialNumber: String?, submissionChannel: String,
                receiptsCount: Int, invalidReceiptsCount: Int, status: String, receipts: [ReceiptRow], metadata: ReceiptPageMetadata) {
        self.submissionUuid = submissionUuid
        self.sellerId = sellerId
        self.dateTimeReceived = dateTimeReceived
        self.submitterName = submitterName
        self.deviceSerialNumber = deviceSerialNumber
        self.submissionChannel = submissionChannel
        self.receiptsCount = receiptsCount
        self.invalidReceiptsCount = invalidReceiptsCount
        self.status = status
        self.receipts = receipts
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case submissionUuid, sellerId, dateTimeReceived, submitterName, deviceSerialNumber, submissionChannel, receiptsCount, invalidReceiptsCount, status, receipts, metadata
    }

    /// `deviceSerialNumber` is always written (`null` on the ERP channel), as R-NEWBEE reads it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(submissionUuid, forKey: .submissionUuid)
        try container.encode(sellerId, forKey: .sellerId)
        try container.encode(dateTimeReceived, forKey: .dateTimeReceived)
        try container.encode(submitterName, forKey: .submitterName)
        try container.encode(deviceSerialNumber, forKey: .deviceSerialNumber)
        try container.encode(submissionChannel, forKey: .submissionChannel)
        try container.encode(receiptsCount, forKey: .receiptsCount)
        try container.encode(invalidReceiptsCount, forKey: .invalidReceiptsCount)
        try container.encode(status, forKey: .status)
        try container.encode(receipts, forKey: .receipts)
        try container.encode(metadata, forKey: .metadata)
    }
}

/// Search Receipts and Get Recent Receipts (stand-in shape, spec/receipts-api.md §07).
public struct ReceiptPage: Codable, Sendable, Hashable {
    public var receipts: [ReceiptRow]
    public var metadata: ReceiptPageMetadata

    public init(receipts: [ReceiptRow], metadata: ReceiptPageMetadata) {
        self.receipts = receipts
        self.metadata = metadata
    }
}

/// The outcome of full validation, as Get Receipt Details shows it.
public struct ReceiptValidationResults: Codable, Sendable, Hashable {
    /// `Valid`, `Invalid`, `Cancelled`, or `In progress`.
    public var status: String
    public var errors: [ETAError]

    public init(status: String, errors: [ETAError]) {
        self.status = status
        self.errors = errors
    }
}

/// Get Receipt (`…/raw`), Get Receipt Details (`…/details`) and Get Receipt Details
/// Anonymously (`…/share`): the platform's metadata around the receipt.
public struct ReceiptEnvelope: Codable, Sendable, Hashable {
    public var submissionUUID: String
    public var dateTimeReceived: String
    public var dateTimeIssued: String
    public var submissionChannel: String
    /// The most decimals any number of the receipt has.
    public var maxPrecision: Int
    /// Get Receipt only: the receipt exactly as submitted.
    public var rawDocument: String?
    /// Get Receipt Details only.
    public var validationResults: ReceiptValidationResults?
    /// The receipt: a summary (raw) or the receipt as submitted (details, share), with the
    /// platform's `uuid`, `longId`, `status`, `dateTimeReceived` and its returns.
    public var receipt: JSONValue

    public init(submissionUUID: String, dateTimeReceived: String, dateTimeIssued: String, submissionChannel: String, maxPrecision: Int,
                rawDocument: String? = nil, validationResults: ReceiptValidationResults? = nil, receipt: JSONValue) {
        self.submissionUUID = submissionUUID
        self.dateTimeReceived = dateTimeReceived
        self.dateTimeIssued = dateTimeIssued
        self.submissionChannel = submissionChannel
        self.maxPrecision = maxPrecision
        self.rawDocument = rawDocument
        self.validationResults = validationResults
        self.receipt = receipt
    }
}
