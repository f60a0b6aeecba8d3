// Exact decimal arithmetic on a 128-bit integer, for the calculation rules.
// Foundation `Decimal` is exact too, but every operation allocates and normalizes; on the
// receipt equations it was a third of full validation. Values that do not fit fall back to
// `Decimal` (see ModelChecker.checkCalculations), so results never depend on which path ran.

import Foundation

/// An exact decimal number `significand × 10^(−scale)` held in an `Int128`.
///
/// Operations never trap: a result that would not fit sets ``overflowed`` (and keeps it in
/// every later result), and the caller redoes the work with Foundation `Decimal`.
public struct FixedDecimal: Sendable, Hashable {
    /// The digits as an integer (`12.50` → 1250).
    public private(set) var significand: Int128
    /// How many of the digits are decimals (`12.50` → 2).
    public private(set) var scale: Int
    /// A result did not fit; the value is meaningless.
    public private(set) var overflowed: Bool

    /// Scales beyond this are not kept (10^36 still fits with room for a few integer digits).
    static let maximumScale = 36

    public static let zero = FixedDecimal(significand: 0, scale: 0)

    public init(significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
        self.overflowed = scale < 0 || scale > Self.maximumScale
    }

    static let overflow: FixedDecimal = {
        var value = FixedDecimal.zero
        value.overflowed = true
        return value
    }()

    /// A plain JSON number lexeme (`-?digits[.digits]`, at most 36 digits); `nil` otherwise
    /// (exponents, longer lexemes).
    public init?<S: Sequence<UInt8>>(plainLexeme utf8: S) {
        var significand: Int128 = 0, digits = 0, scale = 0, afterPoint = false, negative = false, first = true, sawDigit = false
        for b in utf8 {
            defer { first = false }
            switch b {
            case UInt8(ascii: "-") where first: negative = true
            case UInt8(ascii: ".") where !afterPoint: afterPoint = true
            case UInt8(ascii: "0") ... UInt8(ascii: "9"):
                sawDigit = true
                if significand != 0 || b != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 36 else { return nil }
                significand = significand * 10 + Int128(b - UInt8(ascii: "0"))
                if afterPoint { scale += 1 }
            default: return nil
            }
        }
        // At least one digit, and digits after a decimal point.
        guard sawDigit, scale <= Self.maximumScale, !(afterPoint && scale == 0) else { return nil }
        self.init(significand: negative ? -significand : significand, scale: scale)
    }

    /// A `Decimal` that fits (at most 36 significant digits and decimals); `nil` otherwise.
    public init?(_ decimal: Decimal) {
        // `Decimal`'s description is plain notation (`-12.5`, `0.0001`).
        guard decimal.isFinite, let parsed = FixedDecimal(plainLexeme: decimal.description.utf8) else { return nil }
        self = parsed
    }

    @inline(__always)
    static func power(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0 ..< n { p &*= 10 }
        return p
    }

    /// `self` rescaled to `scale` (≥ self.scale), or `nil` on overflow.
    @inline(__always)
    func rescaled(to scale: Int) -> Int128? {
        if scale == self.scale { return significand }
        let (result, overflow) = significand.multipliedReportingOverflow(by: Self.power(scale - self.scale))
        return overflow ? nil : result
    }

    @inline(__always)
    static func aligned(_ a: FixedDecimal, _ b: FixedDecimal) -> (Int128, Int128, Int)? {
        guard !a.overflowed, !b.overflowed else { return nil }
        let scale = max(a.scale, b.scale)
        guard let x = a.rescaled(to: scale), let y = b.rescaled(to: scale) else { return nil }
        return (x, y, scale)
    }

    public static func + (a: FixedDecimal, b: FixedDecimal) -> FixedDecimal {
        guard let (x, y, scale) = aligned(a, b) else { return .overflow }
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow ? .overflow : FixedDecimal(significand: sum, scale: scale)
    }

    public static func - (a: FixedDecimal, b: FixedDecimal) -> FixedDecimal {
        guard let (x, y, scale) = aligned(a, b) else { return .overflow }
        let (difference, overflow) = x.subtractingReportingOverflow(y)
        return overflow ? .overflow : FixedDecimal(significand: difference, scale: scale)
    }

    public static func * (a: FixedDecimal, b: FixedDecimal) -> FixedDecimal {
        guard !a.overflowed, !b.overflowed else { return .overflow }
        let (product, overflow) = a.significand.multipliedReportingOverflow(by: b.significand)
        guard !overflow else { return .overflow }
        return FixedDecimal(significand: product, scale: a.scale + b.scale).trimmed()
    }

    public static func += (a: inout FixedDecimal, b: FixedDecimal) { a = a + b }

    /// `self / 100`, exactly.
    public var hundredth: FixedDecimal {
        overflowed ? .overflow : FixedDecimal(significand: significand, scale: scale + 2).trimmed()
    }

    /// Drops trailing zero decimals while the scale is above the maximum (keeps the value).
    @inline(__always)
    func trimmed() -> FixedDecimal {
        guard scale > Self.maximumScale else { return self }
        var value = self
        while value.scale > Self.maximumScale, value.significand % 10 == 0 {
            value.significand /= 10
            value.scale -= 1
        }
        value.overflowed = value.scale > Self.maximumScale
        return value
    }

    /// Whether `|self − other| ≤ tolerance`; `nil` when that cannot be decided exactly here.
    public func isClose(to other: FixedDecimal, tolerance: FixedDecimal) -> Bool? {
        let difference = self - other
        guard let (d, t, _) = Self.aligned(difference, tolerance) else { return nil }
        return d.magnitude <= t.magnitude
    }

    /// `self` compared with `other`: negative, zero or positive; `nil` on overflow.
    public func compare(_ other: FixedDecimal) -> Int? {
        guard let (x, y, _) = Self.aligned(self, other) else { return nil }
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    /// The same value as a Foundation `Decimal` (exact: at most 38 digits).
    public var decimal: Decimal {
        let magnitude = significand.magnitude
        let mantissa: Decimal
        if magnitude <= UInt128(UInt64.max) {
            mantissa = Decimal(UInt64(magnitude))
        } else {
            mantissa = Decimal(string: String(magnitude)) ?? 0
        }
        return Decimal(sign: significand < 0 ? .minus : .plus, exponent: -scale, significand: mantissa)
    }
}
