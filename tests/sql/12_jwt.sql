-- 12: JWT authentication (api.authenticate_jwt) and issuer registration, with fixed RS256
-- vectors generated once by `python tests/jwt_support.py` (keys k1 and k2 of the issuer, a
-- second key also named k1 that the issuer never published, a 1024-bit key; tokens issued
-- at 2030-03-17 08:26:40 UTC = 1900000000, valid 600 s). internal.now() is moved there.
-- Tenant A accepts (iss, claw-a), tenant B (iss, claw-b); alice is A's owner, bob B's.
BEGIN;
SELECT plan(52);

CREATE TEMP TABLE v (name text PRIMARY KEY, value text);
INSERT INTO v VALUES
  ('jwks_k1', '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"8LkghiopDFy0bkFGr9anr6OOSgzWyNWP6cOupN21hE-BFGOBvujQAf9-vOwWVw5D7SNNSS7khAkVlO6twofUzX6nAP8724qm2zj0MWfEhNf6Q88RH51DNXhZ1AagwCky-gnrxHDmFPLjv3VhCyGQoPNnu3oP3o8dwAGPZO7rIRs4fng_ADOPgtMVTgFSBDNULiRUP361paSt78_MQYxyFjLMENQYCmrwYshJxKvwANh4Ci_l4p3GVT_VbLL9_5mEbIP6Yl5OFiDgf9Ub2RRV14pzdusIUiJWko7Z1pPlEDPBs3uCZdYuurFn34qXFlKCigk_rtQ5mI_7xJanbCgU9w","e":"AQAB"}]}'),
  ('jwks_k1_k2', '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"8LkghiopDFy0bkFGr9anr6OOSgzWyNWP6cOupN21hE-BFGOBvujQAf9-vOwWVw5D7SNNSS7khAkVlO6twofUzX6nAP8724qm2zj0MWfEhNf6Q88RH51DNXhZ1AagwCky-gnrxHDmFPLjv3VhCyGQoPNnu3oP3o8dwAGPZO7rIRs4fng_ADOPgtMVTgFSBDNULiRUP361paSt78_MQYxyFjLMENQYCmrwYshJxKvwANh4Ci_l4p3GVT_VbLL9_5mEbIP6Yl5OFiDgf9Ub2RRV14pzdusIUiJWko7Z1pPlEDPBs3uCZdYuurFn34qXFlKCigk_rtQ5mI_7xJanbCgU9w","e":"AQAB"},{"kty":"RSA","use":"sig","alg":"RS256","kid":"k2","n":"p-U4QmeivGrcywZZWK_Z-cBHD0HOa7lOVN4IrtK0G94-QA2V0xYD4PsusgCyZZ9-TLRz2EaJPFDGmmtsGfHERxSgQ27fRF1iwzPJ4M5aiOWk8TnLLYaKy1xcdBiihObwKxqrB10dc5DeuQPGHPp2fZcSKEqm3TXX7ligNsrCD2MgdlrWSRVoVKXYzYaHDnseioRfIpDxNiUdGpoiKlR2gDkk21G1c6muogJsk2etzoq4cDADBavTigXaeg50YrAJbifpf4Zm6VSXJP0YzIc1JfoK9LpcorevAbpk6i-WCu4wtydub15-q2VfvPd6PQFuKZ7r2l3AXaFFPUH-cUwdvw","e":"AQAB"}]}'),
  ('jwks_weak', '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"weak","n":"63s0VDl8hStZOOn5Zh36FUfo860i0wzak6MiRDm11Slf0COA50SHNwDMY4gcYgIv-K0byi-ZkaR4ZpohNN7GCfFgm3hbPEwlYYWkan3rruzRIlf4N8NwmdyNQlpctSXxCfLjseP9pUrsWyFbc7f8jXRiKa8A7GjNHjODKIYw12k","e":"AQAB"}]}'),
  ('valid_a', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwLCJzY29wZSI6InF1ZXVlOnJlYWQgam9iczp3cml0ZSJ9.XhUl8BStesul7tCXkTx3BbG8bqpVtnAwIhrEzyf7hyKpvkfeFAuUnvDeFcYJ6YHBx4IQBGBNCRQ_fbNSw78bQaYkMrKwxgeIP0_9ZIqLhFRDaBR90dArHCBN8cOi9DNHsuFXrQU1b27AOhJoA2WQoAAI-iB0_w9pkKQr9Fmw11QnMeOoka8iGBKusfEMniyxGoKvZhLfrKr_qwIjS04KVsROCmFe4hOh7ZstSS0a7t2Q4ZcC8lA6HsGnzoWE6uPmjfY2F881THinLveYOxJ6U67zsISnbirUwKsAsPeq7_qblr-v1V2aGM4J4U-LnsEf84rDbzN9gdunPBGeVCzK_A'),
  ('valid_a_list', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjpbIm90aGVyIiwiY2xhdy1hIl0sInN1YiI6ImFsaWNlIiwiaWF0IjoxOTAwMDAwMDAwLCJuYmYiOjE5MDAwMDAwMDAsImV4cCI6MTkwMDAwMDYwMH0.cKkunnDgnbihIUtNF4vxYAxdzVMkyLgL5ul7-zGHv3oEo4lpYTGu81dMByzuQSKnnPVIJwsicCNakfkG934w6VCaFtgvy5RId0IDi7XDPpyYrt_N3uGQB-_GdfLBIyiOJWHkh52jS2gUTmLrS7RfiLUpPZrMPe64BUqZZFHdeeRI1EqJXuU9-LeCzKCAMx47fy1dAd9EVySaVVHaUpI0sHC8vmLEn8u0_oiFSOQPzutXHQYp7X3Alxnwh0FkPzOlK07I7KeOStvNt7-n751EwIdxcybpszZifYN1p-X9GLDZ--ixQPFHtUi7PLH7XxfEtzDqITagRYvQK_uJtp3Uig'),
  ('valid_a_k2', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsyIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.lC8_0CgqnTMe4ujNe8kXa3-J-HLOfPVciVx7LdwtYyiQpgF1ZzfsbgFN5YORJcwGiRUxgZd4zyKCsWnDoCTUE1oZCRC_vvHeUXCRfHPfePoMbnQJlCH_Rd8bifmaSiWQCRGuLERv4xlrBihaRSgKFYjtUnR6icCcMjN_K0tVlJunGv6HEB__kzJWN-79ZflpOT617dTUyQ66qKgSXijGK8Y19FF2xi8qD6Zpn7GcaznxlUGpleBb1O95rCJMcray9_zcD2uMCyDNy78da0_dbfodPdw62Afjdp2vkVUmmw5CTIdoLhzZM4_0AOqFbI90HzlxqcVHhgMOGHqNHGGE3Q'),
  ('ambiguous', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjpbImNsYXctYSIsImNsYXctYiJdLCJzdWIiOiJhbGljZSIsImlhdCI6MTkwMDAwMDAwMCwibmJmIjoxOTAwMDAwMDAwLCJleHAiOjE5MDAwMDA2MDB9.ew8wXnHXUS-fsKGlTTcZNFSnAq8pBL-3nocwHeq6MTti3qhpJC0202Q9t5_M-fGLsp8LSfgYtk8-ufeuZn2bXPp_wBBezvXfB4Ua4Yn5WU-FWB-vXZ4nsRchXzk3NJVlud0-M2gM1KnsdsgoUfH2weD8JB8M4iZUMsmXn2ed4S-w0MXO5l4OdV0zCTHnRPdBTJmGF2f5ArTcdwHQCfOLJr0b6zcJdxNHDRmjUH15Y2vPLWt9y3TXyBQyfOjwJCBpQrJMPukI2Al3Mr6vAs74HFRqAvM6OX2hibOwoPmlwxKY9uyGcYSWC-3Qr28S1UWEOP8wPcrQ2CzTsaegaRjuDQ'),
  ('valid_b', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1iIiwic3ViIjoiYm9iIiwiaWF0IjoxOTAwMDAwMDAwLCJuYmYiOjE5MDAwMDAwMDAsImV4cCI6MTkwMDAwMDYwMH0.xtaMCiXmGMrwhsudDZ6rnmd3NeDy7Oqst5MW1EnzywjqDhsyC1bGgjmXgnaQfqmglLKOUq8ZG4LrhGY2FgeLeSXzkkTKlUyZV9-qeQFcB7LARs3Qdhbi91CK3ynA-B3XG7vqbiuAGW9egLj6DPs6q9oz8zP5rPXX9BzrK7UWJa7XSwX27jXnALVLqBO8bO2fSLbZllHghkRJHWzW7aGuBjfSiakqYv9EGRFilKiCNCsVaa1qRtMc7baPWGb2ulZIEOeR-KcsTBKPQvG3xwD87nyMYkYn25X6QJIVSBJ0jL6Ts13ofe4Amf-ewW7-_iWB7OLsnRVo4c6l3HNLJYlYtQ'),
  ('nbf_future', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMzYwMCwiZXhwIjoxOTAwMDAwNjAwfQ.qTt6NuGUKRheZYh2O4_DK3dXgZziw-Qy8spoewceqXDSC_eaDTxJ24Sur6kueE9E5FAxTzTHmDt60532_j71Ifs8ZD4VDm7lYNcHTS6_AP4Bnmp5EMbDan-dF_SMLimgQZfbvrADUfaRisVILYVNzI9YLaLqi1vwq9WyN73_iNF-IWzz_6EBu441XlsZIyetCFSaLuL9hZUXntxAi-DrZdiBxn7ROXFQYvNIxWcXhoYhIQ4Txg34lYJjy5ZpUhVmqEQTakoRa7-wLYGVx2iAlAYEJnyvSKj84n_GGEk7By2xJNg8ELOrLtWguZwvpQNwgGNaIWnb2Y5MsegGsYEGiw'),
  ('iat_future', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDM2MDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.VfZHKjdlQCMb_3Y1BF_Xaj1MTrDglqAEqLz7ri5U92j-FETDSsIFLbFwUIRMDCiqEgEYxIjHgly30Bu-45WPjRF4nEIyFQQztYpYY_hEKguRvLqrsSO-TdVU1PfUSZicPPwb2EYGE2eO6ibpzQcA4jNG1U7uiC8WQJ-j_HG-ojpRTmjBfLfPcK6gO4rfHfDzStJiBHFBzxfWGaMEipMsSPxEGHEhfqV1pQ_pL4crRBhZh_bLaL6PdRep2Dqmm9p1S43_JOzS5Xbc7mgUtys8WmmwDUcVnh3omVPeSWahyw92UJmLw4UTfBZ_BbM15wdn9pzb5yuGeVUn7wXIISV5wA'),
  ('wrong_aud', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy14Iiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.j_kQFKip_ilgPRZD3_UFAbchqgPJX-Ydpsfg8_SnKAwKDgfSrnjYCj0NMNsRsc2AKyhPff2FKTLDtpMdJT-hu6vUjCMwgtECJqytHhFtd-azGPXu_-rvIwvv2mf5fgq7T1ecS3Qij4ZaKQZLwE7EpTyGJ1LwFTZUEs2GSK_xt-P97XM7aWqAMU53XDPPspy6Xsg55_F3HkutfKIuvUuQ5sN-ou5JaxKVVWCDv1Z4LVPvDbx6-XHE2c3neRwbU1Tmp4vAwrnd6NAcqs5SWPP34RI7n3gIj9jSkt9CViZIGCoW8U2Z6r_pLH-zQguPvEU-9FGBTsk_HOzKIFfOoeKWMg'),
  ('wrong_iss', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2V2aWwudGVzdC8iLCJhdWQiOiJjbGF3LWEiLCJzdWIiOiJhbGljZSIsImlhdCI6MTkwMDAwMDAwMCwibmJmIjoxOTAwMDAwMDAwLCJleHAiOjE5MDAwMDA2MDB9.5SB_JiHEeuyUU6b7iBbzidbm4lb5W0kd1M3S087h8Z5xHWVCPkA87MFnh-YMMTSvc6vIAWToiP_XCCCegU3mUIq8RbXjbpDz6XY35VfJuqC44nSPrm787hpW8TUKU3Ubz-HRc78_e9N-z1gbUFGxKLhFBw_kL25QcGSXG20gHTTJIKOC_yIpYUdmth5Sa4mgGKoC0NyUBsDOVj7azmdY7UybNVCi-Ih5KDcBnUGz9lW4k5kOfhKn8IWAmcPho_PwmBMGy7mvKFEcztu8IepNzOase_EcbB3snP_hcnIxhWRqYTykg915LqFApXxxYn1eChCTew-vgNYOrVR1R1Ioyg'),
  ('unknown_kid', 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ims5IiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.XfSUL3hvpZryaXe28DGEhOYASXmKO51kBn3ofn28xMPyUcvvQinToHRUtVrQxkvQ_sJs2-19fd26MM9tm-Dy9hM3Frai-Zcj1WpZFYNMPnToO-ssN6I0yb9QI_bkiGNxI7334fY7Xh3SklEVvBsnc3OAcTrxZhQByIB7Mp2k4DlufvJrk0AuXW6ScrHFzLYlgeK4ZJahW5s6dzoy0NywGFryB_IREKmKCCYF6XIsY8T2vo1Fta6pdTO5FoWoWVzYELSJiqRxpmuu6FrKnNxAa0YmjbfIPPxmXhrksFJbsCvNy51ivi-R745kykhdnVe70c6MZCH-oR2ljambMS2iRQ'),
  ('unknown_sub', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoibWFsbG9yeSIsImlhdCI6MTkwMDAwMDAwMCwibmJmIjoxOTAwMDAwMDAwLCJleHAiOjE5MDAwMDA2MDB9.LwcGVuiVSqS7WkJBz28eHN_Rw9otg4MQuMukq5XuNIfAKO4bkWxGB7_4Aju28RSzuOFZFRXsyYpzdYYiklmGENCbSrxbiBtgaOWhQy9JDwHwnRqXuSKIqJa4OaAA0AAlH-9UZMJg_bzwrnI5JvT2DRvfiOEBsv5sGU_nZ6gGTvvmu3d91JS6HjRIr4tWNFLu3TQN4RUDWe5kQFMYr4VvOYb5wwEsakUpd2ZDpZNIDpTIPtyX9n5iDSmXaKAF5pRJ7K1NiFyZ50WZdJu6LuJnQf27TCduxdEZkbgVnZaFCj4cWLKlL2DB9zGqn3qObFFmDLXuzLpdllrPPFmYt72ZgA'),
  ('no_exp', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMH0.udZlNdT-VLqcaDELnLC0munAa_mjhls5vFALGC-QOM-GQXLswWKbi4J18zvWhgjQNG6Iw0M0l5CpyafsQj1HlSqeoTVIWVrjNOT2HMIalctIyzz95HI4PIKKw-NE4PU_u4xbavoS602lloz3dckPqjIPzJfj-qq9JX56O4dgjagPE1z3a0OQ7K2CRfGaWT0HUXkolZHBJx47LPp3W97MfP5NOCKKAp6yf8o11-WViwGNqpvWCI8wJPx1RtJhAWzYlMWol8lNEIc4V6qWtNPC2CfzBp82euAWvU6rfah08xjwN4ymtUn0Kv_DbxAwBJDwGcVo9BW2dRR4WcO0WTXYyw'),
  ('alg_none', 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiazEifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.'),
  ('alg_hs256', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.abexUtzrObuqLDcijoZfF9H6ho3ETQbDzwJV6SMzmI4'),
  ('other_key', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.DF9iDvaLWYEiocSPFnvxapNgclcq1LQwXyFByK1Y5gvZJ07kJqS6fVmub3uai1cL8Cw44Ur90kmnx34Am2Fi8mQeiBk2aUxwEIMX5FqrzqNXpsgthme_hRVoZK9bYvN3dGsJfd8PuIna9UMgRcKS86olEF9hNqZeOA7CmJav_szQk0DsEctCoxdk4jM9oQPBGlr8Ae3CHnTHnayDskzGhPEiAv_DVtUWvu3ALqnpIErmzoZjJ32Acn6Jeg3FZ87AFzz1c9P3oEzpeZBGrAM85S2ivGLCYXnYjEG15FIUoMNVukizOa9kBxkAzruc8BjXaJOKz1Q4fqpV4BAWI62AFQ'),
  ('disabled', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiY2Fyb2wiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwfQ.d0NKbfrs9TyP63KMeHOHwMy5Hz3AcfPIRbfOOg8KAo8aE0usYUeShAA65rnXmHyHjybi0TMR8Lu-Jbvo0Z2_rsB0_aW2iPFLtgOsT-dVpCvAaIkMHppHwnerIJDk-06_osSvEpdTs-paAhz9ZtHT5kHYIVvEDABO83ijYm2ao-epwgNwxD554K98VWEy1apjDsDSYYiQCO8w_Egpg_AvK2UBij5I-jx90nR2Dg0aX1954CxoenvTQhIW-WGDqnYyp9nHlMUeqNASxkUlU92CSxo2I8tTIhs9PeEqOkZ90CcJaDWxsLpTxURCCTUnHkKF7swVXetQ6MPM8COD6aRJBg'),
  ('tampered', 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLnRlc3QvIiwiYXVkIjoiY2xhdy1hIiwic3ViIjoiY2Fyb2wiLCJpYXQiOjE5MDAwMDAwMDAsIm5iZiI6MTkwMDAwMDAwMCwiZXhwIjoxOTAwMDAwNjAwLCJzY29wZSI6InF1ZXVlOnJlYWQgam9iczp3cml0ZSJ9.XhUl8BStesul7tCXkTx3BbG8bqpVtnAwIhrEzyf7hyKpvkfeFAuUnvDeFcYJ6YHBx4IQBGBNCRQ_fbNSw78bQaYkMrKwxgeIP0_9ZIqLhFRDaBR90dArHCBN8cOi9DNHsuFXrQU1b27AOhJoA2WQoAAI-iB0_w9pkKQr9Fmw11QnMeOoka8iGBKusfEMniyxGoKvZhLfrKr_qwIjS04KVsROCmFe4hOh7ZstSS0a7t2Q4ZcC8lA6HsGnzoWE6uPmjfY2F881THinLveYOxJ6U67zsISnbirUwKsAsPeq7_qblr-v1V2aGM4J4U-LnsEf84rDbzN9gdunPBGeVCzK_A');
CREATE FUNCTION pg_temp.v(p_name text) RETURNS text LANGUAGE sql AS
  $$ SELECT value FROM v WHERE name = p_name $$;
GRANT SELECT ON v TO PUBLIC;

CREATE TEMP TABLE t AS
  SELECT 'a'::text AS name, * FROM tenancy.create_tenant('jwt-a', 'A', 'alice', 'Alice')
  UNION ALL SELECT 'b', * FROM tenancy.create_tenant('jwt-b', 'B', 'bob', 'Bob');
GRANT SELECT ON t TO PUBLIC;
CREATE TEMP TABLE iss AS
  SELECT name, tenancy.add_jwt_issuer(tenant_id, 'https://idp.example.test/', 'claw-' || name) AS id
  FROM t;
GRANT SELECT ON iss TO PUBLIC;
SELECT internal.clear_context();

-- registration
SELECT is((SELECT array_agg(kid || ':' || action ORDER BY kid)
           FROM tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'a'), pg_temp.v('jwks_k1')::jsonb)),
          '{k1:added}', 'set_jwt_keys adds the published key');
SELECT is((SELECT array_agg(kid || ':' || action ORDER BY kid)
           FROM tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'a'), pg_temp.v('jwks_k1')::jsonb)),
          '{k1:kept}', 'setting the same JWKS again keeps the key');
SELECT lives_ok($$ SELECT tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'b'), pg_temp.v('jwks_k1')::jsonb) $$,
                'tenant B''s issuer gets its keys');
SELECT lives_ok($$ SELECT tenancy.link_jwt_subject(i.id, 'alice', t.principal_id) FROM iss i JOIN t USING (name) WHERE name = 'a' $$,
                'alice is linked to A''s owner');
SELECT lives_ok($$ SELECT tenancy.link_jwt_subject(i.id, 'bob', t.principal_id) FROM iss i JOIN t USING (name) WHERE name = 'b' $$,
                'bob is linked to B''s owner');
SELECT throws_ok($$ SELECT tenancy.add_jwt_issuer((SELECT tenant_id FROM t WHERE name = 'b'), 'https://idp.example.test/', 'claw-a') $$,
                 'CL409', 'JWT issuer and audience already registered',
                 'another tenant cannot register a pair that is taken (no squatting, no ambiguity)');
SELECT throws_ok($$ SELECT tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'a'), pg_temp.v('jwks_weak')::jsonb) $$,
                 'CL422', 'invalid JWK', 'a 1024-bit key is refused');
SELECT throws_ok($$ SELECT tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'a'), '{"keys": [{"kty": "EC", "kid": "e"}]}') $$,
                 'CL422', 'invalid JWKS', 'a JWKS without a usable RS256 key is refused');
SELECT throws_ok($$ SELECT tenancy.set_jwt_keys(gen_random_uuid(), pg_temp.v('jwks_k1')::jsonb) $$,
                 'CL404', 'JWT issuer not found', 'an unknown issuer is CL404');
SELECT throws_ok($$ SELECT tenancy.link_jwt_subject((SELECT id FROM iss WHERE name = 'a'), 'x', (SELECT principal_id FROM t WHERE name = 'b')) $$,
                 'CL404', 'principal not found', 'a subject cannot be linked to another tenant''s principal');
SELECT ok(NOT has_function_privilege('claw_runtime', 'tenancy.add_jwt_issuer(uuid, text, text, integer, text)', 'EXECUTE')
          AND NOT has_function_privilege('claw_admin', 'tenancy.set_jwt_keys(uuid, jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('claw_runtime', 'tenancy.link_jwt_subject(uuid, text, uuid)', 'EXECUTE'),
          'registration is an operator action: no login role may call it');
SELECT is((SELECT count(*)::int FROM audit.events
           WHERE tenant_id = (SELECT tenant_id FROM t WHERE name = 'a')
             AND action IN ('tenancy.jwt_issuers.insert', 'tenancy.jwt_keys.insert', 'tenancy.jwt_subjects.insert')),
          3, 'issuer, key and subject link are in tenant A''s audit chain');
SELECT ok((SELECT after ? 'thumbprint' AND NOT after ? 'n' FROM audit.events
           WHERE action = 'tenancy.jwt_keys.insert' AND tenant_id = (SELECT tenant_id FROM t WHERE name = 'a')),
          'the ledger records the key''s thumbprint, not its modulus');

-- a disabled principal carol of A
DO $$
DECLARE v_carol uuid;
BEGIN
  PERFORM internal.set_context((SELECT tenant_id FROM t WHERE name = 'a'), NULL, '{system}');
  INSERT INTO tenancy.principals (tenant_id, kind, handle, display_name, disabled_at)
  VALUES ((SELECT tenant_id FROM t WHERE name = 'a'), 'person', 'carol', 'Carol', now())
  RETURNING principal_id INTO v_carol;
  PERFORM tenancy.link_jwt_subject((SELECT id FROM iss WHERE name = 'a'), 'carol', v_carol);
  PERFORM internal.clear_context();
END $$;

-- the clock at iat + 100 s
UPDATE internal.clock SET offset_by = to_timestamp(1900000100) - now();

SET LOCAL ROLE claw_runtime;
SELECT results_eq($$ SELECT tenant_id, principal_id, roles, scopes FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$,
                  $$ SELECT tenant_id, principal_id, '{owner}'::text[], '{queue:read}'::text[] FROM t WHERE name = 'a' $$,
                  'a valid token: tenant, principal, roles from memberships, scopes from the scope claim (only Claw''s: jobs:write is none)');
SELECT results_eq($$ SELECT tenant_id FROM api.whoami() $$, $$ SELECT tenant_id FROM t WHERE name = 'a' $$,
                  'the verified context is set for the transaction');
SELECT results_eq($$ SELECT tenant_id, scopes FROM api.authenticate_jwt(pg_temp.v('valid_a_list')) $$,
                  $$ SELECT tenant_id, '{*}'::text[] FROM t WHERE name = 'a' $$,
                  'aud as an array naming the registered audience; no scope claim: every scope');
SELECT is((SELECT count(*)::int FROM api.list_principals()), 2, 'and reads tenant A''s principals (alice, carol)');
SELECT results_eq($$ SELECT tenant_id FROM api.authenticate_jwt(pg_temp.v('valid_b')) $$,
                  $$ SELECT tenant_id FROM t WHERE name = 'b' $$,
                  'B''s audience leads to B');
SELECT is((SELECT count(*)::int FROM api.list_principals()), 1, 'and B''s context sees only bob');

SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('alg_none')) $$, 'CL401', 'malformed token',
                 'alg none with an empty signature is not even a well-formed JWS');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('alg_none') || 'c2ln') $$, 'CL401', 'algorithm not allowed',
                 'alg none with any signature: algorithm not allowed');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('alg_hs256')) $$, 'CL401', 'algorithm not allowed',
                 'HS256 signed with the RSA public key as secret: algorithm not allowed');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('tampered')) $$, 'CL401', 'bad signature',
                 'a tampered payload: bad signature');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('other_key')) $$, 'CL401', 'bad signature',
                 'signed by another key under a published kid: bad signature');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('wrong_aud')) $$, 'CL401', 'wrong audience',
                 'an audience nobody registered: wrong audience');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('wrong_iss')) $$, 'CL401', 'unknown issuer',
                 'an unregistered issuer: unknown issuer');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('ambiguous')) $$, 'CL401', 'ambiguous audience',
                 'aud naming two tenants'' audiences: refused');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('unknown_kid')) $$, 'CL401', 'unknown kid',
                 'a kid the issuer never published: unknown kid');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a_k2')) $$, 'CL401', 'unknown kid',
                 'k2 before rotation: unknown kid');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('unknown_sub')) $$, 'CL401', 'unknown subject',
                 'a subject linked to no principal: unknown subject');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('disabled')) $$, 'CL401', 'principal disabled',
                 'a disabled principal is refused');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('no_exp')) $$, 'CL401', 'malformed token',
                 'a token without exp is refused');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('nbf_future')) $$, 'CL401', 'token not yet valid',
                 'nbf an hour ahead: not yet valid');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('iat_future')) $$, 'CL401', 'token issued in the future',
                 'iat an hour ahead: issued in the future');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt('a.b') $$, 'CL401', 'malformed token', 'two parts: malformed');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt('e30.e30.e30') $$, 'CL401', 'algorithm not allowed',
                 'an empty header: algorithm not allowed');
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(repeat('a', 20000) || '.e30.e30') $$, 'CL401', 'malformed token',
                 'a token over 16 KiB: malformed');

-- a refusal never echoes the token, and leaves no context behind
CREATE FUNCTION pg_temp.detail_of(p_token text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
  PERFORM api.authenticate_jwt(p_token);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
  RETURN v_detail;
END $$;
SELECT ok(NOT EXISTS (SELECT 1 FROM v WHERE name IN ('tampered', 'other_key', 'unknown_kid', 'wrong_aud', 'alg_hs256')
                      AND (strpos(pg_temp.detail_of(value), split_part(value, '.', 2)) > 0
                           OR strpos(pg_temp.detail_of(value), split_part(value, '.', 3)) > 0
                           OR pg_temp.detail_of(value) ~ 'alice|carol|claw-x|k1|evil')),
          'details name the failed check, never a part of the token');

-- time: the skew (60 s) on exp
RESET ROLE;
UPDATE internal.clock SET offset_by = to_timestamp(1900000000 + 600 + 30) - now();
SET LOCAL ROLE claw_runtime;
SELECT lives_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$, 'exp passed 30 s ago: inside the 60 s skew');
RESET ROLE;
UPDATE internal.clock SET offset_by = to_timestamp(1900000000 + 600 + 61) - now();
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$, 'CL401', 'token expired',
                 'exp passed 61 s ago: expired');
RESET ROLE;
SELECT tenancy.configure_jwt_issuer((SELECT id FROM iss WHERE name = 'a'), 120);
SELECT internal.clear_context();
SET LOCAL ROLE claw_runtime;
SELECT lives_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$, 'the skew is per issuer: 120 s lets it through');
RESET ROLE;
UPDATE internal.clock SET offset_by = to_timestamp(1900000100) - now();

-- rotation: k1 and k2 both valid, then k1 removed
SELECT is((SELECT array_agg(kid || ':' || action ORDER BY kid)
           FROM tenancy.set_jwt_keys((SELECT id FROM iss WHERE name = 'a'), pg_temp.v('jwks_k1_k2')::jsonb)),
          '{k1:kept,k2:added}', 'rotation: publish k1 and k2 together');
SET LOCAL ROLE claw_runtime;
SELECT lives_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$, 'during rotation k1 verifies');
SELECT lives_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a_k2')) $$, 'during rotation k2 verifies');
RESET ROLE;
SELECT lives_ok($$ SELECT tenancy.remove_jwt_key((SELECT id FROM iss WHERE name = 'a'), 'k1') $$, 'k1 removed');
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a')) $$, 'CL401', 'unknown kid',
                 'a removed kid stops its tokens at once');
SELECT lives_ok($$ SELECT * FROM api.authenticate_jwt(pg_temp.v('valid_a_k2')) $$, 'k2 still verifies');
RESET ROLE;

-- tenancy.valid_jwks_url: https, or plain http to this host only
SELECT ok(tenancy.valid_jwks_url('https://idp.example.test/.well-known/jwks.json'), 'https is valid');
SELECT ok(tenancy.valid_jwks_url('http://[::1]:8080/jwks.json') AND tenancy.valid_jwks_url('http://localhost/x'),
          'http to this host is valid');
SELECT ok(NOT tenancy.valid_jwks_url('http://idp.example.test/jwks.json'), 'http to another host is not');
SELECT ok(NOT tenancy.valid_jwks_url('http://127.0.0.1.evil.test/x') AND NOT tenancy.valid_jwks_url('http://localhost@evil.test/x'),
          'a host that only starts like this one is not');
SELECT ok(tenancy.valid_jwks_url(NULL), 'no URL is valid (keys set from a file)');

SELECT * FROM finish();
ROLLBACK;
