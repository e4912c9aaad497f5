import Foundation

public enum AutoAssignmentAlgorithm: String, Codable, Sendable, CaseIterable {
    case LOAD_BALANCING, ROUND_ROBIN, PERFORMANCE_BASED
}

/// A queue calls and conversations wait in until an agent takes them. With auto-assignment on,
/// calls are offered to its free agents by `autoAssignmentAlgorithm`; with it off, a call waits
/// until its conversation is assigned to an agent.
public struct Queue: Persistable, Equatable {
    public static let collection = DocumentCollection.queue
    public var id: String
    public var name: String
    public var isAutoAssignmentEnabled: Bool
    public var autoAssignmentAlgorithm: AutoAssignmentAlgorithm
    public var workingHoursId: String?
    /// Whether calls are auto-assigned outside the queue's working hours too (else they end).
    public var isAutoAssignmentOutsideOfWorkingHoursEnabled: Bool?
    /// Whether a returning customer is offered to the agent of their last conversation first.
    public var isStickyAutoAssignmentEnabled: Bool?
    /// How many days back that last conversation may be (30 when unset).
    public var stickyAgentTimeoutDays: Int?
    public var externalId: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deleted: Bool?

    public init(
        id: String = Identifiers.hex32(), name: String, isAutoAssignmentEnabled: Bool = false,
        autoAssignmentAlgorithm: AutoAssignmentAlgorithm = .LOAD_BALANCING, workingHoursId: String? = nil,
        externalId: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.isAutoAssignmentEnabled = isAutoAssignmentEnabled
        self.autoAssignmentAlgorithm = autoAssignmentAlgorithm
        self.workingHoursId = workingHoursId
        self.externalId = externalId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
