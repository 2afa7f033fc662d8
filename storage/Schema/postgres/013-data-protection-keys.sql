-- ASP.NET Core data-protection key ring, shared by every silo on this database, so a dashboard
-- sign-in cookie (and an anti-forgery token) made by one silo is read by all. Rows are XML
-- elements the framework writes and never changes; the framework itself retires old keys.
CREATE TABLE MeshDataProtectionKeys
(
    Id           bigserial    PRIMARY KEY,
    FriendlyName varchar(200) NOT NULL,
    Xml          text         NOT NULL
);
