import LedgerFoundation

/// The JSON value of ``EntryCorrected/replacement``, now the one `JSONValue` of every layer
/// (same cases, same JSON encoding).
@available(*, deprecated, renamed: "JSONValue")
public typealias ClinicalJSONValue = JSONValue
