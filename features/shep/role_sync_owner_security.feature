@role-sync-owner @security @R-59 @R-61
Feature: Probing the defences of the owner system under test
  The gateway is not the only line of defence: the agency's owner system must itself accept only
  messages the gateway signed (Appendix 6, scenario 1), and refuse what was altered, wrapped or
  signed by anyone else. The harness sends the system under test, on the hop from the gateway, the
  inputs a conforming owner refuses - once it has seen the system answer a request the gateway
  signed, so that a refusal is the system's judgement and not its being down.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system under test serves "SUT_SERVICE" on the synchronous channel
    And the owner system under test answers a request the gateway signed

  @A6-S1 @R-56
  Scenario: The owner system under test refuses an unsigned request
    When the owner is sent, as from the gateway, an unsigned request
    Then the owner refuses it

  @A6-S1 @R-54
  Scenario: The owner system under test refuses a request signed by a system instead of the gateway
    When the owner is sent, as from the gateway, a request signed by "INITIATOR_SYS"
    Then the owner refuses it

  @A6-S1 @R-53
  Scenario: The owner system under test refuses a request altered after the gateway signed it
    When the owner is sent, as from the gateway, a signed request altered after signing
    Then the owner refuses it

  @A6-S1 @R-58
  Scenario: The owner system under test refuses a signature wrapping attack
    When the owner is sent, as from the gateway, a signed request wrapped around a forged body
    Then the owner refuses it

  @A1-T19
  Scenario Outline: The owner system under test refuses hostile XML: <input>
    When the owner is sent, as from the gateway, the hostile input "<input>"
    Then the owner refuses it

    Examples:
      | input              |
      | xxe.xml            |
      | billion-laughs.xml |
      | truncated.xml      |
      | two-bodies.xml     |
