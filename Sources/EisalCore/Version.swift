public enum EisalCoreVersion { public static let string = "0.1.0" }
