@portal @publication
Feature: Publication of a service on the owner's initiative (Rules, chapter 2, paragraph 2, clauses 28-31)
  The owner checks that its service is not in the registry, fills in Appendices 2 and 3, attaches the
  XSD and request and response samples and accepts the integration conditions. The operator checks
  the application within 3 working days and publishes the service within 10, giving the owner the
  test and production environments. When the owner names a client, the procedure of clauses 14-27
  applies instead (clause 31).

  Background:
    Given the portal runs on a virtual clock from "2025-06-02 09:00"

  @R-28 @R-29 @R-30 @R-6 @R-61 @A2-F @A3-F @A2-T1
  Scenario Outline: A publication within every deadline puts the service into the gateway registry
    When the owner applies to publish "OWN_SERVICE"
    And the initiator calls "OWN_SERVICE" in the production environment
    Then the initiator receives a fault with code "SCE004"
    When after <check> working days the operator approves the application for publication
    And after <publish> working days the operator publishes the service
    Then the application stands at "the service is published"
    And the service "OWN_SERVICE" is found in the registry
    And the deadline of "R-29" was kept
    And the deadline of "R-30" was kept
    And the authorized body was notified under "R-30"
    And the service integrator was notified under "R-30"
    And the history records each step with its time, actor and clause
    When the initiator calls "OWN_SERVICE" in the production environment
    Then the initiator receives a fault with code "SCE003"
    When the initiator calls "OWN_SERVICE" in the test environment
    Then the initiator receives a fault with code "SCE003"

    Examples:
      | check | publish |
      | 0     | 0       |
      | 3     | 10      |

  @R-29 @R-30
  Scenario Outline: A step taken after its deadline is reported with the working days elapsed
    When the owner applies to publish "OWN_SERVICE"
    And after <check> working days the operator approves the application for publication
    And after <publish> working days the operator publishes the service
    Then the application stands at "the service is published"
    And the deadline of "<clause>" was missed with <elapsed> working days elapsed

    Examples:
      | check | publish | clause | elapsed |
      | 4     | 1       | R-29   | 4       |
      | 1     | 11      | R-30   | 11      |

  @R-29
  Scenario: An application returned with reasons is revised by the owner, with no deadline, and checked again
    When the owner applies to publish "OWN_SERVICE"
    And the operator returns the application for publication without giving a reason
    Then the portal refuses it, citing "R-29"
    When after 2 working days the operator returns the application for publication
    And after 20 working days the owner resends the application for publication
    Then the application stands at "the operator checks the owner's publication application"
    When after 3 working days the operator approves the application for publication
    Then the deadline of "R-29" was kept

  @R-31 @R-17 @R-19 @R-22
  Scenario: Naming a client hands the publication over to the procedure of clauses 14-27
    When the owner applies to publish "OWN_SERVICE" naming the initiator as its client
    Then the application stands at "the operator checks the publication application"
    When after 3 working days the operator approves the application for publication
    And after 10 working days the operator grants access to the test environment
    And the initiator calls "OWN_SERVICE" in the test environment
    Then the initiator receives the owner's answer
    When after 1 working day the operator confirms an exchange from the gateway journal
    Then the application stands at "integration testing"
    And the history records each step with its time, actor and clause

  @R-28
  Scenario: A service already in the registry cannot be published again
    Given "OWN_SERVICE" is published on the owner's initiative
    When the owner applies to publish "OWN_SERVICE" with nothing changed
    Then the portal refuses it, citing "R-28"

  @R-3 @R-14 @R-28 @A2-F @A2-T1 @A3-F
  Scenario Outline: An incomplete or inconsistent application for publication is refused
    When the owner applies to publish "OWN_SERVICE" with <defect>
    Then the portal refuses it, citing "<rule>" and naming "<field>"

    Examples:
      | defect                                      | rule        | field              |
      | a request sample that breaks its own XSD    | R-14        | A3-F field 32      |
      | no response sample                          | R-14        | A3-F field 33      |
      | a maximum processing time of 45 seconds     | A2-T1 row 1 | A2-F field 12      |
      | a peak load of 1000 requests per hour       | A2-T1 row 3 | A2-F field 14      |
      | a different service key in Appendix 2       | A2-F        | A3-F field 22      |
      | the integration conditions not accepted     | R-28        | integration conditions |
      | a service of a certification centre         | R-3(1)      | A3-F field (clause 3 category) |
      | an open-data REST service                   | R-3(4)      | A3-F field (clause 3 category) |
