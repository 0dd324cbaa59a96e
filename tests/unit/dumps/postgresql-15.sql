--
-- PostgreSQL database dump
--

\restrict mmUxhv5AYtf1Mf7ph6oBnManFdqr4y58Ns1hOdnoVzcc4Ln1BY9wdfV73ZoIew6

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: Empty; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Empty" (
    id integer
);


ALTER TABLE public."Empty" OWNER TO postgres;

--
-- Name: orders; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.orders (
    id integer NOT NULL,
    note text
);


ALTER TABLE public.orders OWNER TO postgres;

--
-- Name: v; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW public.v AS
 SELECT orders.id
   FROM public.orders;


ALTER TABLE public.v OWNER TO postgres;

--
-- Data for Name: Empty; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public."Empty" (id) FROM stdin;
\.


--
-- Data for Name: orders; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.orders (id, note) FROM stdin;
1	a\nb\\.
2	\\.
3	\N
\.


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict mmUxhv5AYtf1Mf7ph6oBnManFdqr4y58Ns1hOdnoVzcc4Ln1BY9wdfV73ZoIew6

