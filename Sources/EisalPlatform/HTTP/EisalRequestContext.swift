import Hummingbird
import Logging

/// The request context of every platform route.
public struct EisalRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
