import EisalStore
import Hummingbird

/// The read APIs under `/api/v1/` (and `/api/v1.0/`).
struct QueryRoutes<Store: PlatformStore> {
    let query: QueryService<Store>
    let tokens: TokenService

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.get("receiptsubmissions/{uuid}/details") { request, context -> Response in
            let principal = try request.principal(tokens)
            return try Response.json(try await query.submissionDetails(uuid: try context.parameters.require("uuid"), principal: principal, query: request.queryParameters))
        }
        group.get("receipts/search") { request, _ -> Response in
            let principal = try request.principal(tokens)
            return try Response.json(try await query.search(principal: principal, query: request.queryParameters, recent: false))
        }
        group.get("receipts/recent") { request, _ -> Response in
            let principal = try request.principal(tokens)
            return try Response.json(try await query.search(principal: principal, query: request.queryParameters, recent: true))
        }
        group.get("receipts/{uuid}/raw") { request, context -> Response in
            let principal = try request.principal(tokens)
            return try Response.json(try await query.raw(uuid: try context.parameters.require("uuid"), principal: principal))
        }
        group.get("receipts/{uuid}/details") { request, context -> Response in
            let principal = try request.principal(tokens)
            return try Response.json(try await query.details(uuid: try context.parameters.require("uuid"), principal: principal))
        }
        group.get("receipts/{uuid}/share") { request, context -> Response in
            // No authentication: the issue date-time acts as a second factor.
            try Response.json(try await query.share(uuid: try context.parameters.require("uuid"), dateTimeIssued: request.queryParameters["dateTimeIssued"]))
        }
    }
}

extension Request {
    var queryParameters: QueryParameters {
        QueryParameters(uri.queryParameters.map { (String($0.key), String($0.value)) })
    }
}
