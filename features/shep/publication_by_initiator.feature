@portal @publication
Feature: Publication of a service on the initiator's initiative (Rules, chapter 2, paragraph 1, clauses 10-27)
  An initiator needs data no published service gives. The service integrator recommends the owner
  within 2 working days, the owner answers the application for service creation within 2, fills in
  Appendices 2 and 3 with the XSD and samples, the operator checks them within 3 and grants the test
  environment within 10. After testing, confirmed by the gateway journal, the owner forms the test
  act, the initiator signs it within 3 working days, the operator reviews it within 3 and publishes
  the service. Deadlines run on the Kazakhstan working calendar from the next working day.

  Background:
    Given the portal runs on a virtual clock from "2025-03-17 10:00"

  @R-10 @R-11 @R-12 @R-13 @R-14 @R-17 @R-19 @R-21 @R-22 @R-23 @R-24 @R-25 @R-26 @R-27 @R-6 @A3-F @A2-F @A4-F @R-8 @R-60
  Scenario Outline: A publication within every deadline puts the service into test, then production
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after <si> working days the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And after <owner> working days the owner agrees the application for service creation
    And after 1 working day the owner sends the application for publication
    Then the authorized body was notified under "R-14"
    When the initiator calls "NEW_SERVICE" in the test environment
    Then the initiator receives a fault with code "SCE004"
    When after <check> working days the operator approves the application for publication
    And after <grant> working days the operator grants access to the test environment
    And the initiator calls "NEW_SERVICE" in the test environment
    Then the initiator receives the owner's answer
    And the journal records the exchange as "ANSWERED"
    When after 5 calendar days the owner reports a negative test result
    And after 5 calendar days the operator confirms an exchange from the gateway journal
    And after 0 working days the owner forms and signs the test act
    And after <sign> working days the initiator signs and agrees the test act
    And the initiator calls "NEW_SERVICE" in the production environment
    Then the initiator receives a fault with code "SCE004"
    When after <review> working days the operator approves the test act
    Then the application stands at "the service is published"
    And the service "NEW_SERVICE" is found in the registry
    And the deadline of "R-11" was kept
    And the deadline of "R-13" was kept
    And the deadline of "R-17" was kept
    And the deadline of "R-19" was kept
    And the deadline of "R-25" was kept
    And the deadline of "R-27" was kept
    And the authorized body was notified under "R-27"
    And the service integrator was notified under "R-27"
    And the history records each step with its time, actor and clause
    When the initiator calls "NEW_SERVICE" in the production environment
    Then the initiator receives the owner's answer

    Examples:
      | si | owner | check | grant | sign | review |
      | 0  | 0     | 0     | 0     | 0    | 0      |
      | 2  | 2     | 3     | 10    | 3    | 3      |

  @R-11 @R-13 @R-17 @R-19 @R-25 @R-26
  Scenario Outline: A step taken after its deadline is reported with the working days elapsed
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after <si> working days the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And after <owner> working days the owner agrees the application for service creation
    And after 1 working day the owner sends the application for publication
    And after <check> working days the operator approves the application for publication
    And after <grant> working days the operator grants access to the test environment
    And the initiator calls "NEW_SERVICE" in the test environment
    And after 1 calendar day the operator confirms an exchange from the gateway journal
    And after 0 working days the owner forms and signs the test act
    And after <sign> working days the initiator signs and agrees the test act
    And after <review> working days the operator approves the test act
    Then the application stands at "the service is published"
    And the deadline of "<clause>" was missed with <elapsed> working days elapsed

    Examples:
      | si | owner | check | grant | sign | review | clause | elapsed |
      | 3  | 1     | 1     | 1     | 1    | 1      | R-11   | 3       |
      | 1  | 3     | 1     | 1     | 1    | 1      | R-13   | 3       |
      | 1  | 1     | 4     | 1     | 1    | 1      | R-17   | 4       |
      | 1  | 1     | 1     | 12    | 1    | 1      | R-19   | 12      |
      | 1  | 1     | 1     | 1     | 4    | 1      | R-25   | 4       |
      | 1  | 1     | 1     | 1     | 1    | 4      | R-26   | 4       |

  @R-11
  Scenario: A request left unanswered over Nauryz is reported overdue with the working days elapsed
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And 4 working days pass
    Then the portal reports the deadline of "R-11" overrun with 4 working days elapsed

  @R-13 @R-15
  Scenario Outline: A creation application returned by the owner is revised and reviewed again
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after 1 working day the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And the owner returns the application for service creation without giving a reason
    Then the portal refuses it, citing "R-13"
    When after 1 working day the owner returns the application for service creation
    And after <revise> working days the initiator resends the application for service creation
    Then the application stands at "the owner reviews the creation application"
    And the deadline of "R-15" was <verdict>

    Examples:
      | revise | verdict                            |
      | 2      | kept                               |
      | 3      | missed with 3 working days elapsed |

  @R-13 @R-16
  Scenario: The owner refuses to create the service and the publication stops
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after 1 working day the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And the owner refuses to create the service without giving a reason
    Then the portal refuses it, citing "R-16"
    When after 2 working days the owner refuses to create the service
    Then the application stands at "the owner refused to create the service"
    When the owner wrongly sends the application for publication
    Then the portal refuses it, citing "R-16"

  @R-17 @R-18
  Scenario Outline: A publication application returned by the operator is revised by the owner
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after 1 working day the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And after 1 working day the owner agrees the application for service creation
    And after 1 working day the owner sends the application for publication
    And after 2 working days the operator returns the application for publication
    And after <revise> working days the owner resends the application for publication
    Then the application stands at "the operator checks the publication application"
    And the deadline of "R-18" was <verdict>

    Examples:
      | revise | verdict                            |
      | 2      | kept                               |
      | 5      | missed with 5 working days elapsed |

  @R-26 @R-27
  Scenario Outline: A test act returned by the operator is revised by the owner and signed again
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And after 1 working day the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And after 1 working day the owner agrees the application for service creation
    And after 1 working day the owner sends the application for publication
    And after 1 working day the operator approves the application for publication
    And after 1 working day the operator grants access to the test environment
    And the initiator calls "NEW_SERVICE" in the test environment
    And after 1 calendar day the operator confirms an exchange from the gateway journal
    And after 0 working days the owner forms and signs the test act
    And after 1 working day the initiator signs and agrees the test act
    And after 3 working days the operator returns the test act
    And after <revise> working days the owner resends the revised test act
    Then the application stands at "the initiator signs the test act"
    And the deadline of "R-27" was <verdict>

    Examples:
      | revise | verdict                            |
      | 3      | kept                               |
      | 4      | missed with 4 working days elapsed |

  @R-13 @R-19 @R-25
  Scenario: Only the party named by the clause may act
    When the initiator asks the service integrator which owner holds the data for "NEW_SERVICE"
    And the initiator wrongly recommends an owner
    Then the portal refuses it, citing "R-11"
    When after 1 working day the service integrator recommends an owner
    And after 0 working days the initiator sends the application for service creation
    And the initiator wrongly agrees the application for service creation
    Then the portal refuses it, citing "R-13"

  @R-10
  Scenario: A recommendation is not asked for a service already in the registry
    Given "REFERENCE_SERVICE" is published on the owner's initiative
    When the initiator asks the service integrator which owner holds the data for "REFERENCE_SERVICE" again
    Then the portal refuses it, citing "R-10"
