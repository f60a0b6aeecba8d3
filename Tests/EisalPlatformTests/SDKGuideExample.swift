// The complete example of docs/sdk.md, compiled and run by SDKGuideTests: the code between the
// markers must equal the page's example (a test compares them), so the page never rots.

import EisalCore
import EisalKit
import EisalKitReceiver
import Foundation
import Hummingbird

// BEGIN docs/sdk.md example
/// A POS integration the way the FAQ asks: one login per hour, receipts in batches, verdicts by
/// callback into a local ledger, polling only as the fallback. Returns the ledger's status counts.
func sellAndReport(apiBase: String, clientID: String, clientSecret: String, posSerial: String, presharedKey: String,
                   chainFile: String, ledger: ReceiptLedger, callbackWait: Duration) async throws -> [String: Int] {
    // 1. One client for the process: it logs in once and shares the token until shortly before it expires.
    let client = EisalClient(configuration: .init(apiBaseURL: apiBase, clientID: clientID, clientSecret: clientSecret,
                                                  posSerial: posSerial, presharedKey: presharedKey))
    do {
        // 2. Receipts from typed values: every amount from the calculation law the platform checks,
        //    the UUID over the exact text that is sent, and the POS's previousUUID chain kept in a
        //    file so that a restarted POS continues it.
        let chain = try POSReceiptChain(path: chainFile)
        let seller = Seller(rin: "100000001", companyTradeName: "Eisal Demo Trading", branchCode: "0",
                            branchAddress: BranchAddress(governate: "Cairo", regionCity: "Nasr City", street: "Abbas El Akkad", buildingNumber: "12"),
                            deviceSerialNumber: posSerial, activityCode: "4620")
        let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60).iso8601
        let receipts = try await chain.next(3, of: posSerial) { previousUUID, k in
            let header = ReceiptHeader(dateTimeIssued: issued, receiptNumber: "\(posSerial)-\(UUID().uuidString.prefix(8))-\(k)", previousUUID: previousUUID)
            let coffee = ReceiptLine(internalCode: "SKU-1", description: "Coffee beans 250g", itemCode: "6221218058490",
                                     quantity: Decimal(k + 1), unitPrice: Decimal(string: "85.50")!, taxes: [.vat(14)])
            return try ReceiptBuilder(header: header, seller: seller, lines: [coffee]).build()
        }

        // 3. Submit in batches sized to the platform's limits. Retry-After is honoured, a batch
        //    that got a 202 is never sent again, and the accepted receipts go into the ledger.
        let outcomes = try await ReceiptSubmitter(client: client).submit(receipts) { outcome in
            try? await ledger.recordAccepted(outcome.accepted.map { ($0.receiptNumber, $0.uuid, $0.longId) }, submissionUUID: outcome.submissionUUID)
        }

        // 4. The verdicts come by callback (the ledger's handler on the ERP's router, below).
        let deadline = ContinuousClock.now + callbackWait
        func pending() async throws -> Int { try await ledger.counts().byStatus["Submitted", default: 0] }
        while try await pending() > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }

        // 5. Fallback: poll the submissions still without verdicts, one call per look, never per receipt.
        if try await pending() > 0 {
            let poller = SubmissionPoller(client: client)
            for outcome in outcomes {
                guard let id = outcome.submissionUUID else { continue }
                try await ledger.apply(try await poller.waitForFinal(id, receipts: outcome.accepted.count).details)
            }
        }
        try await client.shutdown()
        return try await ledger.counts().byStatus
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// The ERP's side: the callback receiver on its own router (Ping, the notification paths, the
/// ApiKey, deduplication by deliveryId), handing receipt verdicts to the ledger.
func mountCallbacks(on router: Router<BasicRequestContext>, apiKey: String, rin: String, inboxFile: String, ledger: ReceiptLedger) throws {
    let receiver = CallbackReceiver(configuration: .init(apiKey: apiKey, rins: [rin]), inbox: try SQLiteNotificationInbox(path: inboxFile), handler: ledger.handler)
    receiver.register(on: router)
}
// END docs/sdk.md example
