@role-rest-owner @rest @A1-P5
Feature: The agency's system as the owner of a REST service (role rest-owner)
  The system under test serves a REST service. The gateway routes to it, over HTTPS and presenting
  its own NCA certificate, the A1-T22 requests of the initiators granted access; the system answers
  in the format of A1-T23 within the 30 s of Appendix 2 table 1. A REST service is secured by HTTPS
  and user authentication instead of the transport signature (clauses 2.7 and 53), so the owner
  serves the gateway alone, which it knows by the gateway's client certificate.

  Background:
    Given the gateway serves REST services over HTTPS to and from the system under test
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the system under test serves "SUT_REST_SERVICE" in the REST style over HTTPS
    And "INITIATOR_SYS" is granted access to "SUT_REST_SERVICE"

  @A2-T1
  Scenario: The REST owner under test answers within 30 seconds
    When "INITIATOR_SYS" calls the REST owner under test on "SUT_REST_SERVICE" with the data {"iin": "990101300123"}
    Then the journal shows the REST owner under test answered within 30 seconds

  @A1-T22 @A1-T23 @R-2.7 @R-53
  Scenario: The REST owner under test answers a request routed by the gateway in the format of A1-T23
    When "INITIATOR_SYS" calls the REST owner under test on "SUT_REST_SERVICE" with the data {"iin": "990101300123", "purpose": "check"}
    Then the answer of the REST owner under test reaches the initiator
    And the answer of the REST owner under test is valid against the A1-T23 schema
    And the journal records the REST exchange with the owner under test as "ANSWERED"

  @R-2.7 @R-53
  Scenario Outline: The REST owner under test serves the gateway alone
    When a REST request for "SUT_REST_SERVICE" is sent straight to the REST owner under test <presenting>
    Then the REST owner under test refuses it without an A1-T23 answer

    Examples:
      | presenting                                       |
      | with no client certificate                       |
      | with the client certificate of another organisation |

  @A6-S3 @R-57 @R-58
  Scenario: A request signed and encrypted for the gateway reaches the REST owner under test, whose answer returns
    When "INITIATOR_SYS" sends a request to the REST owner under test on "SUT_REST_SERVICE" signed and encrypted for the gateway
    Then the answer of the REST owner under test reaches the initiator
    And the journal shows the signature of "INITIATOR_SYS" in the sealed message to the owner under test checked by OCSP
    And the journal records the REST exchange with the owner under test as "ANSWERED"
