@portal @connection
Feature: Connection to an integration service (Rules, chapter 2, paragraph 3, clauses 32-45)
  An initiator finds a published service in the registry and applies for connection on the portal
  (Appendix 5). The owner answers within 2 working days, the operator checks the application within
  3, grants the test environment within 10; testing lasts at most 3 months; the initiator forms the
  test act (Appendix 4), both sign it with their EDS, the operator reviews it within 3 working days
  and grants the production environment. Deadlines run on the Kazakhstan working calendar, counted
  from the next working day after the notification, on a virtual clock.

  Background:
    Given the portal runs on a virtual clock from "2025-03-03 09:00"
    And "REFERENCE_SERVICE" is published on the owner's initiative

  @R-32 @R-33 @R-34 @R-35 @R-37 @R-38 @R-39 @R-40 @R-41 @R-42 @R-43 @R-44 @R-45 @R-61 @R-22 @A4-F @A5-F @R-8 @R-60
  Scenario Outline: A connection within every deadline gives access in test, then in production
    Then the service "REFERENCE_SERVICE" is found in the registry
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And the initiator calls "REFERENCE_SERVICE" in the test environment
    Then the initiator receives a fault with code "SCE003"
    When after <owner> working days the owner agrees the application for connection
    And after <check> working days the operator approves the application for connection
    And after <grant> working days the operator grants access to the test environment
    And the initiator calls "REFERENCE_SERVICE" in the production environment
    Then the initiator receives a fault with code "SCE003"
    When the initiator calls "REFERENCE_SERVICE" in the test environment
    Then the initiator receives the owner's answer
    And the journal records the exchange as "ANSWERED"
    When after <testing> calendar days the operator confirms an exchange from the gateway journal
    And after 0 working days the initiator forms and signs the test act
    And after <sign> working days the owner signs and agrees the test act
    And after <review> working days the operator approves the test act
    Then the application stands at "the initiator is connected to the service"
    And the deadline of "R-34" was kept
    And the deadline of "R-35" was kept
    And the deadline of "R-37" was kept
    And the deadline of "R-42" was kept
    And the deadline of "R-43" was kept
    And the deadline of "R-45" was kept
    And the authorized body was notified under "R-45"
    And the service integrator was notified under "R-45"
    And the history records each step with its time, actor and clause
    When the initiator calls "REFERENCE_SERVICE" in the production environment
    Then the initiator receives the owner's answer

    Examples:
      | owner | check | grant | testing | sign | review |
      | 0     | 0     | 0     | 1       | 0    | 0      |
      | 2     | 3     | 10    | 89      | 3    | 3      |

  @R-34 @R-35 @R-37 @R-43 @R-44
  Scenario Outline: A step taken after its deadline is reported with the working days elapsed
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And after <owner> working days the owner agrees the application for connection
    And after <check> working days the operator approves the application for connection
    And after <grant> working days the operator grants access to the test environment
    And the initiator calls "REFERENCE_SERVICE" in the test environment
    And after 1 calendar day the operator confirms an exchange from the gateway journal
    And after 0 working days the initiator forms and signs the test act
    And after <sign> working days the owner signs and agrees the test act
    And after <review> working days the operator approves the test act
    Then the application stands at "the initiator is connected to the service"
    And the deadline of "<clause>" was missed with <elapsed> working days elapsed

    Examples:
      | owner | check | grant | sign | review | clause | elapsed |
      | 3     | 1     | 1     | 1    | 1      | R-34   | 3       |
      | 1     | 4     | 1     | 1    | 1      | R-35   | 4       |
      | 1     | 1     | 11    | 1    | 1      | R-37   | 11      |
      | 1     | 1     | 1     | 4    | 1      | R-43   | 4       |
      | 1     | 1     | 1     | 1    | 5      | R-44   | 5       |

  @R-38 @R-42
  Scenario: Integration testing longer than three months is reported
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And after 1 working day the owner agrees the application for connection
    And after 1 working day the operator approves the application for connection
    And after 1 working day the operator grants access to the test environment
    And the initiator calls "REFERENCE_SERVICE" in the test environment
    And after 30 calendar days the initiator reports a negative test result
    And after 65 calendar days the operator confirms an exchange from the gateway journal
    And after 0 working days the initiator forms and signs the test act
    Then the application stands at "the owner signs the test act"
    And the deadline of "R-38" was missed with 59 working days elapsed

  @R-34
  Scenario: The owner refuses the connection with reasons and the procedure ends
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And the owner refuses the application for connection without giving a reason
    Then the portal refuses it, citing "R-34"
    When after 1 working day the owner refuses the application for connection
    Then the application stands at "the owner refused the connection"
    And the deadline of "R-34" was kept
    When the operator wrongly approves the application for connection
    Then the portal refuses it, citing "R-34"

  @R-35 @R-36
  Scenario Outline: An application returned by the operator goes back through the owner
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And after 1 working day the owner agrees the application for connection
    And after 2 working days the operator returns the application for connection
    And after <revise> working days the initiator resends the application for connection
    Then the application stands at "the owner reviews the connection application"
    And the deadline of "R-36" was <verdict>

    Examples:
      | revise | verdict                                   |
      | 3      | kept                                      |
      | 4      | missed with 4 working days elapsed        |

  @R-44 @R-45
  Scenario Outline: A test act returned by the operator is revised by the initiator and signed again
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And after 1 working day the owner agrees the application for connection
    And after 1 working day the operator approves the application for connection
    And after 1 working day the operator grants access to the test environment
    And the initiator calls "REFERENCE_SERVICE" in the test environment
    And after 1 calendar day the operator confirms an exchange from the gateway journal
    And after 0 working days the initiator forms and signs the test act
    And after 1 working day the owner signs and agrees the test act
    And after 2 working days the operator returns the test act
    And after <revise> working days the initiator resends the revised test act
    And after 1 working day the owner signs and agrees the test act
    And after 1 working day the operator approves the test act
    Then the application stands at "the initiator is connected to the service"
    And the deadline of "R-45" was <verdict>

    Examples:
      | revise | verdict                            |
      | 3      | kept                               |
      | 6      | missed with 6 working days elapsed |

  @R-34 @R-35 @R-61
  Scenario: Only the party named by the clause may act
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And the operator wrongly agrees the application for connection
    Then the portal refuses it, citing "R-34"
    When the initiator wrongly approves the application for connection
    Then the portal refuses it, citing "R-34"

  @R-40 @R-42 @R-22
  Scenario: The test act cannot be formed before the gateway journal shows an answered exchange
    When the initiator applies for connection to "REFERENCE_SERVICE"
    And after 1 working day the owner agrees the application for connection
    And after 1 working day the operator approves the application for connection
    And after 1 working day the operator grants access to the test environment
    And the initiator wrongly forms and signs the test act
    Then the portal refuses it, citing "R-40"
    When the owner calls "REFERENCE_SERVICE" in the test environment
    And the operator wrongly confirms an exchange from the gateway journal
    Then the portal refuses it, citing "R-40"

  @R-33 @A5-F @R-32
  Scenario Outline: An incomplete or wrong application for connection is refused
    When the initiator applies for connection to "REFERENCE_SERVICE" with <defect>
    Then the portal refuses it, citing "<rule>" and naming "<field>"

    Examples:
      | defect                                  | rule | field               |
      | the security act as a .txt file         | A5-F | A5-F field 23       |
      | the integration conditions not accepted | R-33 | A5-F field (conditions) |
      | an IIN/BIN of 11 digits                 | A5-F | A5-F field 4        |

  @R-32
  Scenario: A service that is not published cannot be applied for
    Then the service "UNPUBLISHED_SERVICE" is not found in the registry
    When the initiator applies for connection to the unpublished "UNPUBLISHED_SERVICE"
    Then the portal refuses it, citing "R-32"
