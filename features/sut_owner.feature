@sut @A1-P4
Feature: The owner system under test on the synchronous channel
  The owner system under test - the built-in reference owner by default, an agency's owner system
  given with --sut-url or --sut-image otherwise - answers what the gateway routes to it: signed with
  its own certificate, valid against the channel's schema and within the processing time of
  Appendix 2 table 1. It serves nothing that the gateway did not sign.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system under test serves "SUT_SERVICE" on the synchronous channel
    And "INITIATOR_SYS" is granted access to "SUT_SERVICE"

  @A1-T20 @R-59 @A2-T1 @R-22
  Scenario: The owner system under test answers a valid request through the gateway
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives the owner's answer
    And the answer is valid against the synchronous channel schema
    And the answer carries the gateway's valid transport signature
    And the journal records the exchange as "ANSWERED"
    And the journal shows the owner's processing time within 30 seconds

  @R-59 @A6-S1
  Scenario: The owner system under test refuses a request that the gateway did not sign
    When a request that the gateway did not sign is sent straight to the owner of "SUT_SERVICE"
    Then the owner system under test refuses it with a SOAP fault
