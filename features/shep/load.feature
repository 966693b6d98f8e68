@load @A2-T1 @A2-T2
Feature: Timing under load (Appendix 2 tables 1 and 2, clause 47)
  The gateway and the owner's service are held to the performance requirements of Appendix 2 at the
  rates of table 2: a nominal 360 and a peak of 2000 requests per hour. Every request is a fresh
  envelope signed by the initiator; the gateway's journal separates the owner's processing time from
  the gateway's own. The limits are judged on the owner system under test (role sync-owner); the
  negative cases program the harness's reference owner to show the gateway's measurement catches a
  slow owner. These scenarios send the Rules' rates compressed into about two seconds of real
  time; `shepconf load --compress 1` with the system under test runs the real hour that certifies.

  @R-47 @role-sync-owner
  Scenario Outline: The owner system under test holds every limit at the <profile> rate
    When the owner system under test is loaded at the <profile> rate for <minutes> minutes
    Then every request was routed to the owner system under test
    And every request was answered without error
    And the "A2-T1 row 1" limit holds
    And the "A2-T1 row 2" limit holds
    And the "R-47" limit holds

    Examples:
      | profile | minutes |
      | nominal | 10      |
      | peak    | 2       |

  @R-47 @R-46
  Scenario Outline: On the asynchronous channel at the <profile> rate every message is accepted within a minute
    When the asynchronous channel is loaded at the <profile> rate for <minutes> minutes
    Then every request was answered without error
    And the "R-47" limit holds

    Examples:
      | profile | minutes |
      | nominal | 10      |
      | peak    | 2       |

  @A2-T1
  Scenario: An owner that answers in 11 seconds breaks the 10 second mean
    Given the reference owner answers in 11 seconds
    When the gateway is loaded at the peak rate for 1 minute
    Then the "A2-T1 row 2" limit is broken
    And the "A2-T1 row 1" limit holds

  @A2-T1
  Scenario: One answer after 31 seconds breaks the 30 second maximum
    Given the reference owner answers one request after 31 seconds
    When the gateway is loaded at the peak rate for 1 minute
    Then the "A2-T1 row 1" limit is broken
